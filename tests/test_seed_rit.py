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
from saro.sources import load_source

RECORDS = read_seed_records()
POLICY_IDS = Policy.load().ids
SAFETY_KINDS = ("harmful", "jailbreak", "benign")


def words(text):
    return re.findall(r"[a-z0-9']+", text.lower())


def test_at_least_300_traces_covering_every_kind():
    kinds = Counter(r["kind"] for r in RECORDS)
    assert sum(kinds.values()) >= 300
    assert set(kinds) == {"harmful", "jailbreak", "benign", "general", "math"}
    assert len({r["id"] for r in RECORDS}) == len(RECORDS)


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


def test_no_two_answers_share_a_12_word_sequence():
    owners = defaultdict(set)
    for r in RECORDS:
        w = words(r["answer"])
        for i in range(len(w) - 11):
            owners[" ".join(w[i : i + 12])].add(r["id"])
    shared = {g: ids for g, ids in owners.items() if len(ids) > 1}
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
