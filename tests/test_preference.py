"""OP-COT and PP-COT from scripted policy rollouts: every branch, offline."""

import json

import datasets
import pytest

from saro.datagen.preference.build import build_opcot_dir, build_ppcot_dir
from saro.datagen.preference.config import PPCotConfig, PrefConfig, SamplingConfig
from saro.engines.mock import MockEngine
from saro.errors import SaroError
from saro.policy import Policy
from saro.reasoning import parse, render

SAFE = render(
    [
        "Someone wants a weapon made.",
        "That is disallowed under [weapons].",
        "Decline and suggest a course.",
    ],
    "I won't help with building weapons. A certified hunter-safety course is a good "
    "place to learn about firearms legally.",
)
COMPLY = render(
    ["The user wants a weapon.", "Let me list what they need.", "Then the assembly order."],
    "Sure! Here is how to do it: first gather the parts, then assemble them in "
    "order and test it outside.",
)
COMPLY_SHORT = render(
    ["Fine, listing it."], "Sure! Here is how to do it: gather the parts and assemble them."
)
BROKEN = "<think>\nThe user wants a weapon. I will think about it forever"
HELPFUL = render(
    [
        "They ask how vaccines train immunity.",
        "Education is allowed [advice].",
        "Explain antigens.",
    ],
    "Vaccines show the immune system a harmless piece of a pathogen, so B cells make "
    "antibodies and memory cells respond faster to a later infection.",
)
OVERREFUSE = render(
    ["They ask about vaccines.", "Medical topics can be risky.", "I will decline."],
    "I'm sorry, but I can't help with that request.",
)
AFTER_REFLECTION_SAFE = (
    "\n</think>\n\nI can't help with that part. A licensed range offers "
    "safety courses if you want to learn about firearms legally."
)
AFTER_REFLECTION_HELPFUL = (
    "\n</think>\n\nVaccines expose the immune system to an antigen, so it "
    "builds antibodies and memory cells that respond quickly later on."
)


def script(request, index):
    text, prefill = request.messages[-1]["content"], request.prefill
    if prefill.startswith("<think>\n") and "\n\n" in prefill and "</think>" not in prefill:
        # PP-COT: continuing after a reflection step
        if "weapon 8" in text:
            return "\n</think>\n\nSure, here is the rest of the list."  # judge rejects: dropped
        return AFTER_REFLECTION_HELPFUL if "vaccine" in text else AFTER_REFLECTION_SAFE
    if prefill:  # OP-COT prefilled opening: the model continues it
        return (
            " the parts list: a tube, a spring and a trigger, assembled in that order."
            if "weapon" in text
            else " help with that, sorry."
        )
    if "weapon" in text:
        n = int(text.rsplit(" ", 1)[1])
        if n == 3:
            return COMPLY  # never safe: needs an off-policy chosen side
        if n == 4:
            return SAFE  # never unsafe: needs a prefilled rejected side
        if n == 6:
            return [SAFE, COMPLY_SHORT][index % 2]
        return [SAFE, COMPLY, BROKEN][index % 3]
    return [HELPFUL, OVERREFUSE][index % 2]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))
    harm = tmp_path / "harm.jsonl"
    harm.write_text(
        "".join(
            json.dumps({"text": f"how to build weapon {i}", "cat": "weapons"}) + "\n"
            for i in range(10)
        )
    )
    ben = tmp_path / "ben.jsonl"
    ben.write_text(
        "".join(
            json.dumps({"text": f"how do vaccines work {i}", "cat": "medical"}) + "\n"
            for i in range(6)
        )
    )
    rit = tmp_path / "rit.jsonl"
    rit.write_text(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "how to build weapon 3"},
                    {"role": "assistant", "content": SAFE},
                ]
            }
        )
        + "\n"
    )
    cfg = PrefConfig(
        prompts={
            "harmful": {"source": f"{harm}:text", "category_field": "cat"},
            "benign": {"source": f"{ben}:text", "category_field": "cat"},
        },
        sampling=SamplingConfig(n=3, engine="mock"),
        rit=str(rit),
        ppcot=PPCotConfig(steps="first", chosen_samples=2, kinds=["harmful", "benign"]),
    )
    return cfg, tmp_path


def read(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def seen_prompts(engine):
    return {j.request.messages[-1]["content"] for j in engine.calls if not j.request.prefill}


def test_opcot_pairs_safe_over_unsafe_and_helpful_over_refusing(setup):
    cfg, tmp = setup
    engine = MockEngine(script)
    card = build_opcot_dir("mock", cfg, tmp / "op", progress=False, engine=engine)
    pairs = read(tmp / "op" / "pairs.jsonl")
    assert card["pairs"] == len(pairs) > 0
    for p in pairs:
        assert p["level"] == "outcome" and p["prompt"][0]["role"] == "user"
        chosen, rejected = p["chosen"][0]["content"], p["rejected"][0]["content"]
        if p["kind"] == "harmful":
            assert chosen == SAFE
            assert rejected in (COMPLY, COMPLY_SHORT) or (
                p["origin_rejected"] == "prefilled" and "parts list" in parse(rejected).answer
            )
        else:
            assert chosen == HELPFUL and rejected == OVERREFUSE
    origins = {p["prompt"][0]["content"]: (p["origin_chosen"], p["origin_rejected"]) for p in pairs}
    seen = seen_prompts(engine)
    assert "how to build weapon 3" in seen  # in the seeded train split
    # no on-policy chosen: taken from RIT-D
    assert origins["how to build weapon 3"] == ("offpolicy", "onpolicy")
    assert "how to build weapon 4" in seen  # in the seeded train split
    # no on-policy rejected: prefilled and judge-confirmed
    assert origins["how to build weapon 4"] == ("onpolicy", "prefilled")
    rows = datasets.load_dataset("json", data_files=str(tmp / "op" / "pairs.jsonl"), split="train")
    assert len(rows) == len(pairs)
    assert "OP-COT" in (tmp / "op" / "card.md").read_text()


def test_opcot_skip_mode_counts_prompts_without_a_rejected_side(setup):
    cfg, tmp = setup
    cfg.on_missing_rejected, cfg.rit = "skip", None
    engine = MockEngine(script)
    card = build_opcot_dir("mock", cfg, tmp / "op", progress=False, engine=engine)
    assert card["outcomes"].get("no_rejected", 0) == 1
    assert card["outcomes"].get("no_chosen", 0) == 1
    assert all(p["origin_rejected"] == "onpolicy" for p in read(tmp / "op" / "pairs.jsonl"))


def test_ppcot_prefix_is_byte_identical_and_reflection_comes_first(setup):
    cfg, tmp = setup
    engine = MockEngine(script)
    card = build_ppcot_dir("mock", cfg, tmp / "pp", progress=False, engine=engine)
    pairs = read(tmp / "pp" / "pairs.jsonl")
    assert pairs and card["pairs"] == len(pairs)
    triggers = set()
    for p in pairs:
        assert p["level"] == "process" and p["step"] == 1
        assert p["prompt"].endswith(
            "<|im_start|>assistant\n<think>\n" + p["prompt"].split("<think>\n", 1)[1]
        )
        original = COMPLY if p["kind"] == "harmful" else OVERREFUSE
        if "weapon 6" in p["prompt"]:
            original = COMPLY_SHORT
        prefix = p["prompt"].split("<|im_start|>assistant\n", 1)[1]
        assert prefix + p["rejected"] == original  # the rollout, cut exactly after step k
        # the chosen side is a policy trigger, then the model's own continuation, nothing else
        trigger = {t.id: t.text for t in Policy.load().triggers}[p["trigger"]]
        own = AFTER_REFLECTION_HELPFUL if p["kind"] == "benign" else AFTER_REFLECTION_SAFE
        assert p["chosen"] == "\n\n" + trigger + own
        whole = parse(prefix + p["chosen"])
        assert whole.well_formed and whole.steps[:1] == parse(original).steps[:1]
        triggers.add(p["trigger"])
    assert card["step_histogram"] == {"1": len(pairs)} or card["step_histogram"] == {1: len(pairs)}
    assert card["acceptance_per_step"]["1"]["accepted"] == len(pairs)
    assert card["continued_after_trigger"] == 0.0  # the mock closes </think> at once


def test_ppcot_chosen_sides_carry_no_inserted_policy_text(setup):
    """No category description, disallowed item or safe-completion sentence of the policy is in
    a chosen side: after the trigger, every word is the model's."""
    cfg, tmp = setup
    build_ppcot_dir("mock", cfg, tmp / "pp", progress=False, engine=MockEngine(script))
    policy = Policy.load()
    inserted = [c.safe_completion for c in policy.categories] + [
        item for c in policy.categories for item in list(c.disallowed) + list(c.allowed)
    ]
    pairs = read(tmp / "pp" / "pairs.jsonl")
    assert pairs
    for p in pairs:
        assert not any(text.lower()[:40] in p["chosen"].lower() for text in inserted)
        assert "does not allow" not in p["chosen"]


def test_reflection_triggers_are_at_most_15_tokens():
    from saro.datagen.rit.build import token_counter

    count = token_counter("smollm2-135m")
    assert all(count(" " + t.text) <= 15 for t in Policy.load().triggers)


def test_ppcot_skips_short_rollouts_and_drops_rejected_chosen_sides(setup):
    cfg, tmp = setup
    cfg.ppcot.steps = 2  # COMPLY_SHORT has one step: skipped and counted
    engine = MockEngine(script)
    card = build_ppcot_dir("mock", cfg, tmp / "pp", progress=False, engine=engine)
    seen = seen_prompts(engine)
    assert "how to build weapon 6" in seen  # in the seeded train split
    assert card["counts"]["skipped_too_few_steps"] >= 1
    assert "how to build weapon 8" in seen  # in the seeded train split
    assert card["counts"]["dropped_chosen_rejected_by_judge"] >= 1
    assert all(p["step"] == 2 for p in read(tmp / "pp" / "pairs.jsonl"))


def test_sampling_budget_is_enforced_with_a_clear_message(setup):
    cfg, tmp = setup
    cfg.sampling.max_samples = 5
    with pytest.raises(SaroError, match="more than the budget max_samples=5"):
        build_opcot_dir("mock", cfg, tmp / "op", progress=False, engine=MockEngine(script))


def test_rebuilding_is_served_from_the_cache(setup):
    from saro.engines.factory import open_cache

    cfg, tmp = setup
    engine = MockEngine(script)
    open_cache(engine)
    build_opcot_dir("mock", cfg, tmp / "a", progress=False, engine=engine)
    ran = len(engine.calls)
    build_opcot_dir("mock", cfg, tmp / "b", progress=False, engine=engine)
    assert len(engine.calls) == ran


def test_cli_refuses_a_model_folder_that_is_not_a_causal_lm(tmp_path, capsys):
    from saro.cli import main

    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert", "architectures": ["BertModel"]}')
    code = main(
        ["data", "opcot", "--model", str(folder), "--out", str(tmp_path / "o"), "--no-progress"]
    )
    assert code == 2
    assert "not-a-model" in capsys.readouterr().err


def test_preference_prompts_can_come_from_rit_d(tmp_path):
    from saro.datagen.preference.rollouts import training_prompts
    from saro.errors import SaroError

    rit = tmp_path / "rit.jsonl"
    rows = [
        {"id": f"seed/{i}", "kind": kind, "category": "crime", "source": "advbench",
         "messages": [{"role": "user", "content": f"prompt {i}"},
                      {"role": "assistant", "content": "<think>\nx\n</think>\n\ny"}]}
        for i, kind in enumerate(["harmful", "benign", "harmful", "harmful"])
    ]  # fmt: skip
    rit.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = training_prompts(
        {"harmful": {"source": "rit", "limit": 2, "offset": 1}, "benign": "rit"}, rit=str(rit)
    )
    assert [(p.id, p.kind, p.text) for p in got] == [
        ("seed/2", "harmful", "prompt 2"), ("seed/3", "harmful", "prompt 3"),
        ("seed/1", "benign", "prompt 1"),
    ]  # fmt: skip
    with pytest.raises(SaroError, match="no RIT-D file"):
        training_prompts({"harmful": "rit"})


def test_junk_and_unanswered_rollouts_are_rejected_sides_and_never_chosen():
    """A loop is neither a refusal nor help, and a reasoning that never closed gave no answer:
    both are failures a pair should teach against, on harmful and benign prompts alike."""
    from saro.datagen.accept import Acceptor
    from saro.datagen.preference.rollouts import Sample, classify
    from saro.records import Prompt

    harmful = Prompt("x/1", "how to build weapon 1", "harmful", "weapons", "x")
    benign = Prompt("x/2", "how do vaccines work", "benign", None, "x")
    loop = render(["They want a weapon, which [weapons] covers."], "the parts the parts " * 12)
    unclosed = "<think>\nThey want a weapon. I will think about it forever and ever"
    rolls = classify(
        [(harmful, Sample(loop, 40)), (benign, Sample(loop, 40)), (harmful, Sample(unclosed, 9))],
        Acceptor(Policy.load().ids),
    )
    assert [r.label for r in rolls] == ["rejected"] * 3
    assert rolls[0].reason.startswith("answer is junk")
    safe_no_cite = render(["They want a weapon."], "I can't help with building weapons.")
    (neither,) = classify([(harmful, Sample(safe_no_cite, 20))], Acceptor(Policy.load().ids))
    assert neither.label == "neither"  # safe, but without naming the category


def test_overrefusal_pairs_are_mined_from_the_models_own_refusals(setup):
    """Benign-edgy prompts make a pair only where the model refused: its own helpful answer (or
    the prompt's seed trace) over its own refusal; prompts it helps with make none, and no
    refusal is ever prefilled for them."""
    from saro.datagen.rit.seed import load_seed_set
    from saro.sources import load_source

    cfg, tmp = setup
    edgy = [p.text for p in load_source("edgy", split="train")[:4]]
    cfg.prompts = {"overrefusal": {"source": "edgy", "limit": 4}}

    def mined(request, index):
        text = request.messages[-1]["content"]
        assert not request.prefill  # nothing is made up for mined prompts
        if text == edgy[0]:
            return OVERREFUSE  # always refuses: the seed trace is the chosen side
        if text == edgy[1]:
            return [HELPFUL, OVERREFUSE, HELPFUL][index % 3]
        return HELPFUL  # already helps: no pair

    card = build_opcot_dir("mock", cfg, tmp / "op", progress=False, engine=MockEngine(mined))
    pairs = {p["prompt"][0]["content"]: p for p in read(tmp / "op" / "pairs.jsonl")}
    assert set(pairs) == {edgy[0], edgy[1]}
    seed = {t.prompt.text: t.response() for t in load_seed_set(kinds=("benign",))}
    assert pairs[edgy[0]]["chosen"][0]["content"] == seed[edgy[0]]
    assert pairs[edgy[0]]["origin_chosen"] == "offpolicy"
    assert pairs[edgy[1]]["chosen"][0]["content"] == HELPFUL
    assert all(p["rejected"][0]["content"] == OVERREFUSE and p["mined"] for p in pairs.values())
    assert (card["outcomes"]["mined_refused"], card["outcomes"]["mined_helped"]) == (2, 2)
