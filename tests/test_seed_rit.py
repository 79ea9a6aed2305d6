"""The offline seed RIT set: the curated stand-in for a teacher model."""

import re
from collections import Counter, defaultdict

import pytest

from saro.attacks import load_attacks, split_attacks
from saro.datagen.accept import Acceptor, cited_categories
from saro.datagen.rit.seed import load_seed_set, read_seed_records
from saro.errors import SaroError
from saro.policy import Policy
from saro.reasoning import parse
from saro.reflection_cues import correction_step
from saro.sources import load_source

RECORDS = read_seed_records()
POLICY_IDS = Policy.load().ids
SAFETY_KINDS = ("harmful", "jailbreak", "benign")


def words(text):
    return re.findall(r"[a-z0-9']+", text.lower())


def test_at_least_600_traces_covering_every_kind_each_prompt_once():
    kinds = Counter(r["kind"] for r in RECORDS)
    assert sum(kinds.values()) >= 600
    assert set(kinds) == {"harmful", "jailbreak", "benign", "general", "math"}
    assert len({r["id"] for r in RECORDS}) == len(RECORDS)
    uses = Counter((r["prompt"]["id"], (r.get("attack") or {}).get("id")) for r in RECORDS)
    assert [u for u, n in uses.items() if n > 1] == []


def test_the_mix_can_be_balanced_without_building_in_over_refusal():
    """At most ~45% of the traces target a refusal; benign and general together >= 40%."""
    kinds = Counter(r["kind"] for r in RECORDS)
    n = sum(kinds.values())
    assert (kinds["harmful"] + kinds["jailbreak"]) / n <= 0.45
    assert (kinds["benign"] + kinds["general"]) / n >= 0.40
    assert kinds["math"] >= 50


def test_a_quarter_of_the_traces_correct_themselves_mid_course():
    """A drift step, then a step that notices it in its own words, then the corrected decision.

    The own-words detector (saro.reflection_cues) finds exactly the annotated corrections: the
    first reflecting step after step 1 is the annotated reflection step, and no unannotated
    trace reflects."""
    traces = load_seed_set()
    annotated = [t for t in traces if t.correction]
    assert len(annotated) >= 0.25 * len(traces)
    assert {t.kind for t in annotated} >= {"harmful", "jailbreak", "benign", "general"}
    for t in traces:
        found = correction_step(t.steps)
        expected = t.correction["reflection_step"] if t.correction else None
        assert found == expected, t.id


def test_reflection_steps_are_not_the_ppcot_triggers():
    """A seed correction is not the phrase PP-COT inserts: no step opens with a trigger's words."""
    openings = [" ".join(words(t.text)[:4]) for t in Policy.load().triggers]
    for t in load_seed_set():
        if t.correction:
            step = " ".join(words(t.steps[t.correction["reflection_step"] - 1]))
            assert not any(o in step for o in openings), t.id


def test_a_correction_that_does_not_fit_the_steps_is_reported_by_id(tmp_path):
    (tmp_path / "x.jsonl").write_text(
        '{"id": "seed/x/1", "prompt": {"source": "advbench", "id": "advbench/0"}, '
        '"kind": "harmful", "policy": [], "steps": ["a", "b", "c"], "answer": "no", '
        '"correction": {"drift_step": 3, "reflection_step": 2}}\n'
    )
    with pytest.raises(SaroError, match="seed/x/1"):
        load_seed_set(tmp_path)


def test_no_trace_prompt_near_duplicates_an_evaluation_prompt():
    from saro.sources.dedup import near_duplicate_pairs
    from saro.sources.splits import offline_sources

    traces = load_seed_set()
    ours = sorted({t.prompt.meta.get("base_id", t.prompt.id): t for t in traces}.values(),
                  key=lambda t: t.id)  # fmt: skip
    bases = {p.id: p.text for src in {t.prompt.source for t in ours}
             for p in load_source(src, split=None)}  # fmt: skip
    texts = [bases[t.prompt.meta.get("base_id", t.prompt.id)] for t in ours]
    held_out = [
        p.text
        for src in offline_sources()
        for split in ("dev", "test")
        for p in load_source(src, split=split)
    ]  # every prompt any eval suite may draw
    pairs = near_duplicate_pairs(texts + held_out)
    crossing = [(ours[a].id, held_out[b - len(texts)][:60]) for a, b in pairs
                if a < len(texts) <= b]  # fmt: skip
    assert crossing == []


def test_every_trace_has_3_to_8_steps_and_renders_to_the_reasoning_format():
    for trace in load_seed_set():
        assert 3 <= len(trace.steps) <= 8, trace.id
        parsed = parse(trace.response())
        assert parsed.well_formed and parsed.steps == trace.steps, trace.id


def test_safety_traces_cite_the_policy_categories_they_declare():
    for r in RECORDS:
        cited = cited_categories(" ".join(r["steps"]), POLICY_IDS)
        assert set(r["policy"]) <= set(POLICY_IDS), r["id"]
        if r["kind"] in SAFETY_KINDS:
            assert cited and set(cited) == set(r["policy"]), r["id"]


def test_no_referenced_prompt_is_in_an_eval_split():
    train = defaultdict(set)
    for src in {r["prompt"]["source"] for r in RECORDS}:
        train[src] = {p.id for p in load_source(src, split="train")}
    outside = [r["id"] for r in RECORDS if r["prompt"]["id"] not in train[r["prompt"]["source"]]]
    assert not outside


def test_jailbreak_traces_use_training_attacks_only():
    split = split_attacks(load_attacks(), seed=0)
    train_ids = {a.id for a in split.train}
    used = {r["attack"]["id"] for r in RECORDS if r["kind"] == "jailbreak"}
    assert used and used <= train_ids


def shared_12_word_runs(texts_by_id):
    owners = defaultdict(set)
    for rid, text in texts_by_id:
        w = words(text)
        for i in range(len(w) - 11):
            owners[" ".join(w[i : i + 12])].add(rid)
    return {g: ids for g, ids in owners.items() if len(ids) > 1}


def test_no_two_answers_share_a_12_word_sequence():
    shared = shared_12_word_runs((r["id"], r["answer"]) for r in RECORDS)
    assert not shared, list(shared.items())[:3]


def test_no_two_traces_share_a_12_word_sequence_in_their_reasoning_outside_math():
    """Written per prompt, not from a template (math steps are reformatted GSM8K solutions)."""
    steps = ((r["id"], step) for r in RECORDS if r["kind"] != "math" for step in r["steps"])
    shared = shared_12_word_runs(steps)
    assert not shared, list(shared.items())[:3]


@pytest.mark.parametrize("kind", ["benign", "general"])
def test_helpful_answers_are_substantive(kind):
    lengths = [len(words(r["answer"])) for r in RECORDS if r["kind"] == kind]
    assert lengths and min(lengths) >= 40
    # specific content: most answers carry a number, a named thing or a list
    specific = [
        r
        for r in RECORDS
        if r["kind"] == kind and re.search(r"\d|\n|[A-Z][a-z]+ [A-Z]|:", r["answer"])
    ]
    assert len(specific) >= 0.8 * lengths.__len__()


def test_seed_traces_pass_the_acceptance_rules():
    traces = load_seed_set(kinds=SAFETY_KINDS + ("math",))
    verdicts = Acceptor(POLICY_IDS).check(
        [
            {
                "kind": t.kind,
                "prompt": t.prompt.text,
                "response": t.response(),
                "reference": t.prompt.reference,
            }
            for t in traces
        ]
    )
    rejected = [(t.id, why) for t, (ok, why) in zip(traces, verdicts, strict=True) if not ok]
    assert len(rejected) <= 0.05 * len(traces), rejected[:10]


def test_a_trace_naming_a_missing_prompt_is_reported_by_id(tmp_path):
    (tmp_path / "x.jsonl").write_text(
        '{"id": "seed/x/1", "prompt": {"source": "advbench", "id": "advbench/99999"}, '
        '"kind": "harmful", "policy": [], "steps": ["a", "b", "c"], "answer": "no"}\n'
    )
    with pytest.raises(SaroError, match="advbench/99999"):
        load_seed_set(tmp_path)
