"""The ``choice`` judge: extract a multiple-choice letter and compare it with ``reference``.

Extraction order (the first rule that yields a valid letter wins):

1. an explicit statement, the last one: "Answer: C", "the answer is (b).", else exactly one
   distinct "option D" / "choice D";
2. exactly one distinct letter in parentheses anywhere: "I pick (B) because...";
3. a leading letter: "B. Paris", "B) Paris", "C: ...";
4. the whole answer is a letter: "B", " (c) ", "D.";
5. the text of exactly one option (needs the record's ``choices``); a longer matching option
   wins over one it contains ("Paris, Texas" over "Paris").

Lower-case "a" after "the answer is" counts only when punctuation or the end follows, so "the
answer is a bird" is not read as A. Valid letters are the first ``len(choices)`` letters when
the record has ``choices``, else A-J. The reference may be a letter (any case, parentheses
allowed) or the text of an option.

Verdict: ``{"correct": bool|None, "extracted": "B"|None, "method": "...", "score": 1.0|0.0}``.
Choice judges the answer only (reasoning verdict None).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import Any

from saro.judges.base import Item, Judge, undetermined
from saro.judges.registry import register_judge
from saro.records import normalize_text

_LETTER = r"[\(\[]?([A-Ja-j])[\)\]]?"
_AFTER = r"(?P<after>[^\w]|$)"
_ANSWER = re.compile(
    r"\banswer\s*(?:is|would be|=|:)\s*:?\s*(?:option\s+|choice\s+)?" + _LETTER + _AFTER,
    re.IGNORECASE,
)
_OPTION = re.compile(r"\b(?:option|choice)\s+(?:is\s+)?" + _LETTER + _AFTER, re.IGNORECASE)
_PAREN = re.compile(r"[\(\[]([A-Ja-j])[\)\]]")
_LEADING = re.compile(r"^\s*[\(\[]?([A-J])(?:[\)\]]|[.:](?=\s|$))")
_BARE = re.compile(r"^\W*([A-Ja-j])\W*$")


def _stated(rx: re.Pattern[str], text: str, valid: str) -> list[str]:
    """Valid letters stated with ``rx``, in order of appearance."""
    found = []
    for m in rx.finditer(text):
        letter, after = m.group(1), m.group("after")
        bracketed = m.start(1) > 0 and text[m.start(1) - 1] in "(["
        # "the answer is a bird": a lower-case letter needs a bracket or punctuation after it
        if letter.islower() and not bracketed and after not in ("", ".", ",", ";", ":", "!", ")"):
            continue
        if letter.upper() in valid:
            found.append(letter.upper())
    return found


def extract_choice(text: str, choices: Sequence[str] | None = None) -> tuple[str | None, str]:
    """Return ``(letter, method)``; ``letter`` is None when nothing (or an ambiguity) is found."""
    valid = string.ascii_uppercase[: len(choices)] if choices else "ABCDEFGHIJ"
    text = text or ""
    stated = _stated(_ANSWER, text, valid)
    if stated:
        return stated[-1], "explicit"
    options = set(_stated(_OPTION, text, valid))
    if len(options) == 1:
        return options.pop(), "explicit"
    parens = {m.upper() for m in _PAREN.findall(text)} & set(valid)
    if len(parens) == 1:
        return parens.pop(), "parenthesized"
    if len(parens) > 1:
        return None, "ambiguous letters"
    for rx, method in ((_LEADING, "leading"), (_BARE, "bare")):
        m = rx.match(text)
        if m and m.group(1).upper() in valid:
            return m.group(1).upper(), method
    if choices:
        norm = f" {normalize_text(text)} "
        opts = {string.ascii_uppercase[i]: f" {normalize_text(c)} " for i, c in enumerate(choices)}
        hits = {k: o for k, o in opts.items() if o.strip() and o in norm}
        # an option contained in a longer matching one ("Paris" in "Paris, Texas") is not a hit
        hits = {k: o for k, o in hits.items() if not any(o != p and o in p for p in hits.values())}
        if len(hits) == 1:
            return next(iter(hits)), "option text"
        if hits:
            return None, "ambiguous option text"
    return None, "no letter found"


def reference_letter(reference: Any, choices: Sequence[str] | None) -> str | None:
    """The reference as a letter: a letter in any case, or the text of an option."""
    ref = str(reference).strip()
    m = _BARE.match(ref)
    if m:
        return m.group(1).upper()
    if choices:
        for i, c in enumerate(choices):
            if normalize_text(c) == normalize_text(ref):
                return string.ascii_uppercase[i]
    return None


class ChoiceJudge(Judge):
    needs_reference = True
    judges_reasoning = False

    def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        return [self._one(it) for it in items]

    def _one(self, item: Item) -> dict[str, Any]:
        choices = item.record.get("choices") or None
        ref = reference_letter(item.reference, choices)
        if ref is None:
            return undetermined(
                f"reference {item.reference!r} is not a letter or an option",
                correct=None,
                extracted=None,
                method=None,
            )
        letter, method = extract_choice(item.text, choices)
        correct = letter == ref
        return {
            "correct": correct,
            "extracted": letter,
            "method": method,
            "reference": ref,
            "score": 1.0 if correct else 0.0,
        }


@register_judge("choice")
def choice_judge() -> Judge:
    """Multiple-choice letter accuracy against ``reference``."""
    return ChoiceJudge()
