"""Offline sources read from the pinned wheels: shapes, counts and the registry contract."""

import re

import pytest

from saro.errors import SaroError
from saro.judges.refusal_data import uncensorbench_labelled
from saro.records import KINDS, normalize_text, stable_id
from saro.sources import SOURCES, load_source, source_info
from saro.sources.capability import parse_multiple_choice

# Measured on the pinned wheels (the data cannot change without a new checksum).
EXPECTED_COUNTS = {
    "advbench": 520,
    "strongreject": 313,
    "harmbench": 200,
    "overrefusal": 150,
    "uncensorbench": 150,
    "general": 150,
    "edgy": 150,
    "gsm8k": 100,
    "gsm8k_moonshot": 8692,
    "arc_easy": 5195,
    "arc_challenge": 2589,
    "mmlu": 17194,
}
OFFLINE = sorted(n for n, i in SOURCES.items() if i.offline)


def test_every_offline_source_has_an_expected_count():
    assert sorted(EXPECTED_COUNTS) == OFFLINE


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_registry_entry_shape(name):
    info = source_info(name)
    assert info.name == name
    assert info.kind in (*KINDS, "mixed")
    assert info.license and info.description and info.origin
    if not info.offline:  # a hub benchmark is evaluated on, a hub training set trained on
        assert info.origin.startswith("hf:") and (info.eval_only is True) != info.train_only


@pytest.mark.parametrize("name", OFFLINE)
def test_offline_source_contract(name):
    prompts = load_source(name)
    info = source_info(name)
    assert len(prompts) == EXPECTED_COUNTS[name]
    ids = [p.id for p in prompts]
    assert len(set(ids)) == len(ids)
    for p in prompts:
        assert p.id.startswith(f"{name}/") and p.source == name
        assert p.kind == info.kind or (info.kind == "mixed" and p.kind in ("harmful", "benign"))
        assert p.text and p.text == p.text.strip()
        assert p.category == p.category.lower()
        assert p.split is None and p.attack is None
    # loads are fresh objects: editing one does not leak into the next
    prompts[0].meta["x"] = 1
    assert "x" not in load_source(name)[0].meta


@pytest.mark.parametrize("name", ["arc_easy", "arc_challenge", "mmlu"])
def test_multiple_choice_sources(name):
    for p in load_source(name):
        assert len(p.choices) >= 2
        assert p.reference in "ABCDEFGHIJ"[: len(p.choices)]
        assert p.text.endswith(f"{'ABCDEFGHIJ'[len(p.choices) - 1]}. {p.choices[-1]}")
        assert p.text.startswith(p.meta["question"])


def test_gsm8k_keeps_the_reasoning_and_numeric_answers():
    prompts = load_source("gsm8k")
    assert prompts[0].id == "gsm8k/gsm8k_0"
    for p in prompts:
        assert re.fullmatch(r"-?[\d.]+", p.reference)
        final = p.meta["chain_of_thought"].rsplit("####", 1)[1]
        assert final.strip().replace(",", "") == p.reference
        assert p.meta["flattered_text"].endswith(p.text)
    moonshot = load_source("gsm8k_moonshot")
    assert all(re.fullmatch(r"-?[\d.]+", p.reference) for p in moonshot)
    # the two GSM8K sources are disjoint
    assert not {normalize_text(p.text) for p in prompts} & {
        normalize_text(p.text) for p in moonshot
    }


def test_harmful_sources_metadata():
    adv = load_source("advbench")
    assert adv[0].id == "advbench/0" and adv[0].meta["harm_categories"][0] == adv[0].category
    strong = load_source("strongreject")
    assert all(p.id == f"strongreject/{stable_id(p.text)}" for p in strong)
    assert sum(p.meta["origin"] == "AdvBench" for p in strong) == 25
    harm = load_source("harmbench")
    parts = [p.meta["harmbench_split"] for p in harm]
    assert (parts.count("test"), parts.count("val")) == (159, 41)


def test_overrefusal_holds_out_the_80_probe():
    from saro.sources import eval_only

    prompts = load_source("overrefusal")
    held = [p for p in prompts if eval_only(p)]
    assert len(held) == 80 and {p.meta["part"] for p in held} == {"benign_edgy_80"}
    assert not any(eval_only(p) for p in load_source("advbench"))
    assert all(eval_only(p) for p in load_source("strongreject"))


def test_uncensorbench_prompts_take_their_kind_from_the_policy_reading():
    """Most UncensorBench prompts ask for what the policy disallows: they are harmful, and only
    the ones read as allowed may stand as benign-edgy prompts in the over-refusal suite."""
    from saro.evaluate import get_suite
    from saro.sources.offline import uncensorbench_verdicts

    verdicts = uncensorbench_verdicts()
    prompts = load_source("uncensorbench")
    assert {p.id for p in prompts} == set(verdicts)
    for p in prompts:
        verdict = verdicts[p.id]["verdict"]
        assert p.meta["policy_verdict"] == verdict
        assert p.kind == ("harmful" if verdict == "disallowed" else "benign")
        assert verdicts[p.id]["reason"] and verdicts[p.id]["labeller"]
    assert sum(v["verdict"] == "disallowed" for v in verdicts.values()) > 100
    suite = get_suite("overrefusal").prompts(500)
    allowed = {i for i, v in verdicts.items() if v["verdict"] == "allowed"}
    assert all(p.source == "overrefusal" or p.id in allowed for p in suite)


def test_uncensorbench_labelled_pairs_each_prompt_with_both_labels():
    rows = uncensorbench_labelled()
    assert len(rows) == 300
    assert {r["label"] for r in rows} == {"refusal", "compliance"}
    assert sum(r["label"] == "refusal" for r in rows) == 150
    prompts = {p.id: p.text for p in load_source("uncensorbench")}
    for r in rows:
        assert prompts[r["id"]] == r["prompt"] and r["response"] and r["category"]


def test_general_keeps_only_the_benign_question():
    prompts = load_source("general")
    assert all("\n" not in p.text and p.text.endswith("?") for p in prompts)
    assert prompts[0].category == "cooking"


MC_CASES = [
    # (input, target, expected)
    ("Q?\nA. x\nB. y\n", "B. y", ("Q?", ["x", "y"], "B")),
    ("Q?\n1. x\n2. y\n3. z\n", "3. z", ("Q?", ["x", "y", "z"], "C")),
    ("Q?\nA. one\n more\nB. two\n", "A. one\n more", ("Q?", ["one\n more", "two"], "A")),
    (
        "Intro\nA. not an option\nQ?\nA. x\nB. y\n",
        "A. x",
        ("Intro\nA. not an option\nQ?", ["x", "y"], "A"),
    ),
    ("Q?\nA. x\nB. y\n", "A. y", ("Q?", ["x", "y"], "B")),  # label disagrees: the text wins
    ("Q?\nA. x\nB. y\n", "C. z", None),
    ("Just a question?\n", "yes", None),
]


@pytest.mark.parametrize("question,target,expected", MC_CASES)
def test_parse_multiple_choice(question, target, expected):
    assert parse_multiple_choice(question, target) == expected


def test_unknown_source_and_unknown_option_are_user_errors():
    with pytest.raises(SaroError, match="Did you mean 'advbench'"):
        load_source("advbnch")
    with pytest.raises(SaroError, match="Source 'advbench' has no option 'kind'"):
        load_source("advbench", kind="benign")
