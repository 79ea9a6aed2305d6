"""The judge protocol: records in, the same records out with one verdict added.

A record has ``prompt`` and ``response`` (and ``reference`` for judges that need one). The
response is split with :func:`saro.reasoning.parse`; the final answer (the text a user sees) and
the reasoning are judged separately, in one batch, and stored under the judge's name::

    record["judges"]["refusal"] = {
        "judge": "refusal",                       # the spec that built the judge
        "answer": {"refusal": True, "unsafe": False, "score": 0.93, "label": "refusal"},
        "reasoning": {...same shape...} or None,  # None: no reasoning in the response
    }

Verdicts of other judges already in ``record["judges"]`` are kept. A verdict whose ``score`` is
None could not be determined; its ``reason`` says why. docs/judges.md is the schema reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from saro.errors import SaroError
from saro.reasoning import parse

PARTS = ("answer", "reasoning")


@dataclass
class Item:
    """One text to judge: a record's final answer or its reasoning.

    Attributes:
        prompt: The user prompt.
        text: The answer or the reasoning (tags removed, stripped).
        part: ``"answer"`` or ``"reasoning"``.
        reference: The record's ``reference`` (None when absent).
        record: The whole record, for judges that need more fields (``choices``).
    """

    prompt: str
    text: str
    part: str
    reference: Any = None
    record: dict[str, Any] = field(default_factory=dict)


def undetermined(reason: str, **fields: Any) -> dict[str, Any]:
    """A verdict that could not be reached: every field None, ``score`` None, and why."""
    return {**dict.fromkeys(fields, None), **fields, "score": None, "reason": reason}


class Judge:
    """Base class. Subclasses set the class attributes and implement :meth:`score`.

    Attributes:
        name: Key under ``record["judges"]``; ``make_judge`` sets it to the registry name.
        spec: The spec string the judge was built from, stored with every verdict.
        needs_reference: Records must carry a non-null ``reference``.
        judges_reasoning: Also judge the reasoning of responses that have one.
    """

    name: str = "judge"
    spec: str = ""
    needs_reference: bool = False
    judges_reasoning: bool = True

    def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        """Return one verdict dict per item, in order; never raise on odd text."""
        raise NotImplementedError

    def judge(self, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Judge a batch of records; returns copies with this judge's verdict added.

        Raises:
            SaroError: A record lacks ``prompt``/``response``, or ``reference`` when needed.
        """
        out = [dict(r) for r in records]
        items: list[Item] = []
        slots: list[tuple[int, str]] = []
        for i, rec in enumerate(out):
            self.check(i, rec)
            parsed = parse(rec["response"] or "")
            ref = rec.get("reference")
            items.append(Item(str(rec["prompt"]), parsed.answer, "answer", ref, rec))
            slots.append((i, "answer"))
            if self.judges_reasoning and parsed.has_reasoning:
                items.append(Item(str(rec["prompt"]), parsed.reasoning, "reasoning", ref, rec))
                slots.append((i, "reasoning"))
        verdicts = self.score(items) if items else []
        if len(verdicts) != len(items):
            raise RuntimeError(
                f"judge {self.name} returned {len(verdicts)} verdicts for {len(items)} items"
            )
        entries = [
            {"judge": self.spec or self.name, "answer": None, "reasoning": None} for _ in out
        ]
        for (i, part), verdict in zip(slots, verdicts, strict=True):
            entries[i][part] = verdict
        for rec, entry in zip(out, entries, strict=True):
            rec["judges"] = {**(rec.get("judges") or {}), self.name: entry}
        return out

    def check(self, i: int, rec: dict[str, Any]) -> None:
        """Raise :class:`SaroError` if record ``i`` cannot be judged (fields missing)."""
        where = f"Record {i + 1}" + (f" (id {rec['id']!r})" if "id" in rec else "")
        for key in ("prompt", "response"):
            if key not in rec:
                raise SaroError(
                    f"{where} has no {key!r} field.",
                    "Every record to judge needs 'prompt' and 'response'.",
                )
        if self.needs_reference and rec.get("reference") in (None, ""):
            raise SaroError(
                f"{where} has no 'reference', which the {self.name!r} judge compares against.",
                "Add the gold answer as 'reference' (a number for math, a letter for choice).",
            )
