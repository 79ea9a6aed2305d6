"""The ``math`` judge: extract the final number of an answer and compare it by value.

Extraction order (the first that finds a number wins):

1. after the last ``####`` (GSM8K's marker);
2. inside the last ``\\boxed{...}`` (``\\frac{a}{b}`` understood);
3. after the last "the answer is" / "final answer:" / "answer:";
4. the last number anywhere in the answer.

Numbers are read tolerantly: ``$1,234.50``, ``18 dollars``, ``75%``, ``3/4``, ``-2`` and a
trailing period all work, and values compare exactly as fractions, so ``0.5 == 1/2 == 0.50``.
The reference goes through the same reader (``"#### 18"`` and ``"$18.00"`` are fine).

Verdict: ``{"correct": bool, "extracted": "18", "method": "####", "score": 1.0 | 0.0}``. The
reasoning verdict checks the last number the reasoning reaches: a diagnostic for "right in the
reasoning, lost in the answer", not part of accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from saro.judges.base import Item, Judge, undetermined
from saro.judges.registry import register_judge

# A minus sign counts only when it is not a hyphen between words or numbers ("10-5").
_NUMBER = re.compile(
    r"(?:(?<![\w)])-)?"
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,234 or 1,234.5
    r"|\d+(?:\.\d+)?(?:\s*/\s*\d+(?!\.\d))?"  # 12, 12.5, 3/4
    r"|\.\d+)"  # .5
)
_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*([^{}]+?)\s*\}\s*\{\s*([^{}]+?)\s*\}")
_BOXED = re.compile(r"\\boxed\s*\{")
_ANSWER_IS = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|=|:)?\s*(?:therefore\s*)?[:=]?", re.IGNORECASE
)


def _clean(text: str) -> str:
    text = _FRAC.sub(r"\1/\2", text)
    # LaTeX thin spaces and escaped dollars; digit groups written "1\,000" or "1 000 000"
    text = text.replace("\\,", "").replace("\\$", "$").replace("\\!", "")
    return re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)


def to_value(number: str) -> Fraction | None:
    """The exact value of a number string from :data:`_NUMBER` (None if it is not one)."""
    s = number.replace(",", "").replace(" ", "")
    try:
        if "/" in s:
            num, den = s.split("/")
            return Fraction(Decimal(num)) / Fraction(Decimal(den)) if Decimal(den) else None
        return Fraction(Decimal(s))
    except (InvalidOperation, ValueError):
        return None


def _boxed_contents(text: str) -> list[str]:
    """Contents of each ``\\boxed{...}``, braces balanced."""
    out = []
    for m in _BOXED.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append(text[m.end() : i - 1] if depth == 0 else text[m.end() :])
    return out


def _first(text: str) -> str | None:
    m = _NUMBER.search(text)
    return m.group(0) if m else None


def extract_number(text: str) -> tuple[str | None, str | None]:
    """Return ``(number_string, method)`` for the final number of ``text``, or ``(None, None)``."""
    text = _clean(text or "")
    if "####" in text:
        found = _first(text.rsplit("####", 1)[1])
        if found:
            return found, "####"
    boxes = _boxed_contents(text)
    if boxes:
        found = _first(boxes[-1])
        if found:
            return found, "boxed"
    marks = list(_ANSWER_IS.finditer(text))
    if marks:
        found = _first(text[marks[-1].end() :])
        if found:
            return found, "answer is"
    numbers = _NUMBER.findall(text)
    if numbers:
        return numbers[-1], "last number"
    return None, None


def _pretty(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


class MathJudge(Judge):
    needs_reference = True

    def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        return [self._one(it) for it in items]

    def _one(self, item: Item) -> dict[str, Any]:
        ref_str, _ = extract_number(str(item.reference))
        ref = to_value(ref_str) if ref_str else None
        if ref is None:
            return undetermined(
                f"reference {item.reference!r} holds no number",
                correct=None,
                extracted=None,
                method=None,
            )
        text = item.text
        if item.part == "reasoning":  # the last number the reasoning reaches
            numbers = _NUMBER.findall(_clean(text))
            found, method = (numbers[-1], "last number") if numbers else (None, None)
        else:
            found, method = extract_number(text)
        value = to_value(found) if found else None
        correct = value is not None and value == ref
        return {
            "correct": correct,
            "extracted": _pretty(value) if value is not None else None,
            "method": method,
            "reference": _pretty(ref),
            "score": 1.0 if correct else 0.0,
        }


@register_judge("math")
def math_judge() -> Judge:
    """Final-number accuracy against ``reference``."""
    return MathJudge()
