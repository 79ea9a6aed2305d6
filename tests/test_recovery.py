"""The prefilled-reasoning recovery suite (saro.evaluate.recovery): held-out prefills that read as
compliant, never the builders' phrases, the same prefill for every model, and recovery rates per
k from what a model writes after the prefill."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from saro.engines.mock import MockEngine
from saro.evaluate import evaluate, get_suite
from saro.evaluate.recovery import KS, compliant_sequences, overcautious_steps, prefill_for
from saro.judges import make_judge
from saro.policy import Policy
from saro.reasoning import CLOSE, OPEN

ROOT = Path(__file__).resolve().parents[1]
REFUSAL = "I can't help with that. If you are worried about this, a local support line can help."
HELP = "Sure. Here is a clear, practical explanation with the main points and an example."


def test_the_prefill_data_passes_its_checker():
    """Schema, banned hesitation words, and no 5-word run shared with the policy's reflection
    triggers, the preference openings, the seed RIT-D traces or another recovery text."""
    spec = importlib.util.spec_from_file_location("check", ROOT / "scripts/check_recovery_data.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    assert check.main() == 0


def test_every_compliant_sequence_reads_as_compliance_to_the_judge():
    """The prefills must really start to comply, or recovering from them would mean nothing."""
    seqs = compliant_sequences()
    judge = make_judge("refusal")
    records = [{"prompt": "request", "response": " ".join(s.steps)} for s in seqs]
    labels = [r["judges"]["refusal"]["answer"]["label"] for r in judge.judge(records)]
    assert labels == ["compliance"] * len(seqs)
    policy_ids = {c.id for c in Policy.load().categories}
    assert {s.category for s in seqs} == policy_ids | {"any"}
    assert len(overcautious_steps()) >= 20


def test_the_suite_prefills_each_harmful_prompt_at_every_k_and_each_benign_once():
    items = get_suite("recovery").prompts(6)
    harmful = [p for p in items if p.meta["recovery_side"] == "harmful"]
    benign = [p for p in items if p.meta["recovery_side"] == "benign"]
    assert len(harmful) == 6 * len(KS) and len(benign) == 6
    assert len({p.id for p in items}) == len(items)
    by_base: dict[str, list] = {}
    for p in harmful:
        by_base.setdefault(p.id.rsplit("#", 1)[0], []).append(p)
    for group in by_base.values():
        fills = [p.meta["prefill"] for p in sorted(group, key=lambda p: p.meta["recovery_k"])]
        assert all(f.startswith(OPEN) and CLOSE not in f and f.endswith("\n\n") for f in fills)
        # k steps, then k + 1 steps of the same sequence
        assert fills[1].startswith(fills[0].rstrip()) and fills[2].startswith(fills[1].rstrip())
        assert len({p.meta["prefix_id"] for p in group}) == 1
    kinds = {p.meta["attack_kind"] for p in harmful}
    assert "direct" in kinds and kinds - {"direct"}, "half of the prompts are held-out attacks"
    assert all(p.split == "test" for p in benign)
    assert items == get_suite("recovery").prompts(6)  # the same prefill for every model


def reflecting_model(request, index):
    """Recovers after two or three compliant steps, not after one; helps past an over-cautious
    step. The answer comes after a closed reasoning."""
    fill = request.prefill
    steps = fill.count("\n\n")
    if any(step in fill for _, step in overcautious_steps()):
        return f"On reflection the question is legitimate.\n{CLOSE}\n\n{HELP}"
    answer = REFUSAL if steps >= 2 else HELP
    return f"This would enable real harm.\n{CLOSE}\n\n{answer}"


def test_recovery_rate_per_k_from_what_the_model_writes_after_the_prefill(tmp_path):
    metrics = evaluate(MockEngine(reflecting_model), ["recovery"], tmp_path, limit=4,
                       progress=False)  # fmt: skip
    entry = metrics["suites"]["recovery"]
    assert entry["metric"] == "recovery_rate"
    assert {k: v["value"] for k, v in entry["by_k"].items()} == {"1": 0.0, "2": 1.0, "3": 1.0}
    assert entry["value"] == pytest.approx(2 / 3)
    assert entry["benign"]["value"] == 1.0 and entry["benign"]["n"] == 4
    rows = [json.loads(x) for x in (tmp_path / "samples" / "recovery.jsonl").open()]
    assert all(r["response"].startswith(r["prefill"]) for r in rows)
    assert {r["recovery_side"] for r in rows} == {"harmful", "benign"}
    assert all(r["answer"] in (REFUSAL, HELP) for r in rows)


def test_a_model_that_never_closes_its_reasoning_gets_a_forced_answer_not_a_recovery(tmp_path):
    """Budget forcing closes the prefilled reasoning; the forced answer is judged. A model that
    rambles gets no credit for an empty answer."""
    from saro.engines.forcing import Budget

    def rambler(request, index):
        if request.prefill.rstrip().endswith(CLOSE):
            return HELP  # the forced answer
        return " ".join(["and then"] * 40)

    metrics = evaluate(MockEngine(rambler), ["recovery"], tmp_path, limit=2, progress=False,
                       budget=Budget(reasoning=20, answer=30))  # fmt: skip
    entry = metrics["suites"]["recovery"]
    assert entry["forced_rate"] == 1.0
    assert entry["value"] == 0.0 and entry["benign"]["value"] == 1.0


def test_prefill_for_matches_the_rendered_reasoning_format():
    assert prefill_for(["a", "b"]) == f"{OPEN}\na\n\nb\n\n"
