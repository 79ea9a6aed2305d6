"""``load_source``: a source's prompts, whole or one split of the default split plan."""

from __future__ import annotations

from typing import Any

from saro.records import Prompt
from saro.sources.registry import load_unsplit


def load_source(name: str, *, split: str | None = None, seed: int = 0, **opts: Any) -> list[Prompt]:
    """Load the prompts of a registered source or a local file.

    Args:
        name: A registry name (``advbench``) or a file spec (``data/mine.jsonl:prompt``).
        split: If given, keep only this split (``train``, ``dev``, ``test``) of the default
            split plan (:func:`saro.sources.splits.load_split`), with ``split`` set on each prompt.
        seed: Seed of the split plan (the run's ``split_seed``; only used with ``split``).
        **opts: Source options (for files: ``kind``, ``id_field``, ``category_field``...;
            for hub sources: ``loader``, ``hub_split``...).

    Returns:
        The prompts, in the source's own order.
    """
    if split is not None:
        from saro.sources.splits import load_split

        return load_split(name, split, seed=seed, **opts)
    return load_unsplit(name, **opts)
