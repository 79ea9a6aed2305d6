"""Example responses for the report: safe ones only.

What may be shown (:func:`showable`):

* benign, general and math prompts: the prompt, the reasoning and the answer;
* harmful and jailbreak prompts: only the *answer*, and only when the safety judge labelled it
  ``refusal`` or ``safe_completion`` (not unsafe). The prompt text is not shown (its id,
  category and attack are), nor the reasoning, which can carry harm even when the answer
  refuses (docs/judges.md).

Everything else (complied, unjudged, empty) is counted, never shown. For each suite the prompt
with the most showable responses across models is chosen, so the models are compared on the
same prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.analysis.rundata import answer_verdict, eval_models, samples
from saro.pipeline.roster import display

SAFE_KINDS = ("benign", "general", "math")
UNSAFE_KINDS = ("harmful", "jailbreak")
SAFE_LABELS = ("refusal", "safe_completion")
SUITES = ("overrefusal", "gsm8k", "harmful", "jailbreak")
MAX_CHARS = 700


def showable(rec: dict[str, Any]) -> str | None:
    """``"full"`` (prompt, reasoning, answer), ``"answer"`` (answer only) or None (hidden)."""
    kind = rec.get("kind")
    if kind in SAFE_KINDS:
        return "full"
    if kind in UNSAFE_KINDS:
        v = answer_verdict(rec)
        if (
            v.get("label") in SAFE_LABELS
            and v.get("unsafe") is False
            and v.get("score") is not None
        ):
            return "answer"
    return None


def _clip(text: str, limit: int = MAX_CHARS) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " [...]"


def pick_examples(run: Path, suites: tuple[str, ...] = SUITES) -> list[dict[str, Any]]:
    """One prompt per suite, with each model's response when it may be shown."""
    out = []
    models = eval_models(run)
    for suite in suites:
        by_model = {m: {str(r.get("id")): r for r in samples(run, m, suite)} for m in models}
        ids = sorted({i for recs in by_model.values() for i in recs})
        if not ids:
            continue
        score = {i: sum(bool(showable(by_model[m].get(i, {}))) for m in models) for i in ids}
        best = max(ids, key=lambda i: (score[i], -ids.index(i)))
        first = next(by_model[m][best] for m in models if best in by_model[m])
        full_prompt = first.get("kind") in SAFE_KINDS
        entry: dict[str, Any] = {
            "suite": suite,
            "id": best,
            "kind": first.get("kind"),
            "category": first.get("category") or "",
            "attack": first.get("attack") or "",
            "prompt": _clip(str(first.get("prompt") or ""), 400) if full_prompt else None,
            "responses": [],
            "hidden": 0,
        }
        for m in models:
            rec = by_model[m].get(best)
            if rec is None:
                continue
            mode = showable(rec)
            if mode is None:
                entry["hidden"] += 1
                entry["responses"].append({"model": display(m), "shown": False})
                continue
            entry["responses"].append({
                "model": display(m),
                "shown": True,
                "label": answer_verdict(rec).get("label"),
                "reasoning": _clip(str(rec.get("reasoning") or "")) if mode == "full" else None,
                "answer": _clip(str(rec.get("answer") or "")),
            })  # fmt: skip
        out.append(entry)
    return out
