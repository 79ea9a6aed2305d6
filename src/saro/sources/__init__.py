"""Prompt sources: a registry of named loaders, local files as sources, and seeded splits.

Usage::

    from saro.sources import SOURCES, load_source, source_info

    harmful = load_source("advbench")                      # offline, from a pinned wheel
    held_out = load_source("overrefusal", split="test")    # the default split plan's test part
    mine = load_source("data/my_prompts.jsonl:prompt", kind="benign")

Importing this package registers every built-in source (offline ones in
:mod:`.offline` and :mod:`.capability`, hub ones in :mod:`.hub`); nothing heavy is imported
until a source is loaded.
"""

from saro.sources import capability, hub, offline  # noqa: F401  (registers the sources)
from saro.sources.loader import load_source
from saro.sources.registry import (
    SOURCES,
    SourceInfo,
    eval_only,
    is_local_spec,
    register_source,
    source_info,
)

__all__ = [
    "SOURCES",
    "SourceInfo",
    "eval_only",
    "is_local_spec",
    "load_source",
    "register_source",
    "source_info",
]
