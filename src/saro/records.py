"""The prompt record shared by every stage."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["harmful", "jailbreak", "benign", "general", "math"]
KINDS: tuple[str, ...] = ("harmful", "jailbreak", "benign", "general", "math")
SPLITS: tuple[str, ...] = ("train", "dev", "test")


@dataclass
class Prompt:
    """One prompt.

    Attributes:
        id: Stable id, ``<source>/<local id>``; unchanged across runs and machines.
        text: The user turn.
        kind: harmful | jailbreak | benign | general | math.
        category: Harm or topic category as given by the source (free text, lower case).
        source: Registry name of the source.
        attack: Jailbreak template or transform name (jailbreak prompts only).
        reference: Gold answer: a number for math, a letter for multiple choice.
        choices: Answer options for multiple-choice prompts, in letter order.
        split: train | dev | test, set by :mod:`saro.sources.splits`.
        meta: Anything else the source provides.
    """

    id: str
    text: str
    kind: str
    category: str = ""
    source: str = ""
    attack: str | None = None
    reference: str | None = None
    choices: list[str] | None = None
    split: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prompt:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


_WS = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def normalize_text(text: str) -> str:
    """Lower-case, strip punctuation and collapse whitespace: the key for duplicate detection."""
    return _WS.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def stable_id(*parts: str, length: int = 12) -> str:
    """A short content hash, stable across runs, for sources without ids of their own."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]
