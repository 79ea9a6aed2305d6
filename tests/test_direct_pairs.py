"""Direct pairs, no reasoning on either side. Direct-DPO baseline: chosen = the Safety-SFT
answer, rejected = the base model's own wrong answer (or a prefilled one), an optional seeded
prompt sample. Control arm (Safety-SFT -> DPO): chosen = the Safety-SFT model's own accepted
answer."""

from __future__ import annotations

import json

from saro.datagen.accept import Acceptor
from saro.datagen.preference.build import build_direct_dir
from saro.datagen.preference.config import DirectConfig
from saro.engines.mock import MockEngine
from saro.policy import Policy

COMPLY = "Sure, here is how to do it. Step 1: get the tools. Step 2: follow the plan closely."
REFUSE = " help with that request."


def _safety_sft(path, n_per_kind=6):
    rows = []
    for kind, answer in (("harmful", "I can't help with that."), ("benign", "Here is how.")):
        for i in range(n_per_kind):
            user = f"{kind} question number {i}?"
            rows.append(
                {
                    "id": f"{kind}-{i}",
                    "kind": kind,
                    "messages": [
                        {"role": "user", "content": user},
                        {"role": "assistant", "content": answer},
                    ],
                }
            )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _build(tmp_path, engine, **kw):
    return build_direct_dir(
        "base-model",
        DirectConfig(kinds=["harmful", "benign"], n=1, **kw),
        _safety_sft(tmp_path / "safety_sft.jsonl"),
        tmp_path / "out",
        engine=engine,
        acceptor=Acceptor(Policy.load().ids, reasoning=False),
        progress=False,
    )


def _pairs(tmp_path):
    return [json.loads(x) for x in (tmp_path / "out" / "pairs.jsonl").read_text().splitlines()]


def test_rejected_is_the_base_models_wrong_answer_and_chosen_the_safe_one(tmp_path):
    card = _build(tmp_path, MockEngine(script={"*": COMPLY, "I'm": REFUSE, "I can't": REFUSE}))
    pairs = {p["prompt_id"]: p for p in _pairs(tmp_path)}
    harmful = pairs["harmful-0"]
    assert harmful["rejected"][0]["content"] == COMPLY  # complied with a harmful request
    assert harmful["chosen"][0]["content"] == "I can't help with that."
    assert harmful["origin_rejected"] == "onpolicy"
    assert card["pairs"] == len(pairs)


def test_a_limit_samples_the_prompts_before_generating(tmp_path):
    engine = MockEngine(script={"*": COMPLY, "I'm": REFUSE, "I can't": REFUSE})
    card = _build(tmp_path, engine, limit=4, seed=1)
    asked = {job.request.messages[-1]["content"] for job in engine.calls}
    first = [job.request.messages[-1]["content"] for job in engine.calls if not job.request.prefill]
    assert len(first) == 4  # only the sampled prompts were generated
    assert asked <= {f"{k} question number {i}?" for k in ("harmful", "benign") for i in range(6)}
    assert card["pairs"] <= 4
    again = MockEngine(script={"*": COMPLY, "I'm": REFUSE, "I can't": REFUSE})
    _build(tmp_path, again, limit=4, seed=1)
    repeat = [j.request.messages[-1]["content"] for j in again.calls if not j.request.prefill]
    assert repeat == first


def test_the_stage_writes_a_card_with_the_pairs_and_the_sampled_answers(tmp_path):
    card = _build(tmp_path, MockEngine(script={"*": COMPLY, "I'm": REFUSE, "I can't": REFUSE}))
    text = (tmp_path / "out" / "card.md").read_text()
    assert text.startswith("# Direct pairs dataset card")
    assert f"Pairs: {card['pairs']}." in text
    assert json.loads((tmp_path / "out" / "card.json").read_text())["pairs"] == card["pairs"]
    assert card["rollouts"]["harmful"]["rejected"] == 6  # every harmful answer complied


def test_saro_data_direct_builds_the_pairs_from_the_command_line(tmp_path, monkeypatch, capsys):
    import saro.engines.factory as factory
    import saro.models
    from saro.cli import main

    engine = MockEngine(script={"*": COMPLY, "I'm": REFUSE, "I can't": REFUSE})
    monkeypatch.setattr(factory, "build_engine", lambda name, model, **o: engine)
    monkeypatch.setattr(saro.models, "resolve_model", lambda m: tmp_path)
    sft = _safety_sft(tmp_path / "safety_sft.jsonl")
    argv = [
        "data",
        "direct",
        "--model",
        "base",
        "--safety-sft",
        str(sft),
        "--out",
        str(tmp_path / "out"),
        "--set",
        "kinds=[harmful]",
        "--set",
        "n=1",
        "--no-progress",
    ]
    assert main(argv) == 0
    assert "Direct pairs: 6 pairs (harmful 6)" in capsys.readouterr().err
    assert len(_pairs(tmp_path)) == 6


def test_saro_data_direct_refuses_a_mistyped_setting(tmp_path, capsys):
    from saro.cli import main

    argv = [
        "data",
        "direct",
        "--model",
        "base",
        "--safety-sft",
        "x.jsonl",
        "--out",
        str(tmp_path / "out"),
        "--set",
        "n=two",
    ]
    assert main(argv) == 2
    assert "n = 'two' is not int" in capsys.readouterr().err


OWN_REFUSAL = "I won't help with that, but a locksmith course teaches the legal side."
OWN_HELP = "Here is how it works: the valve opens at 3 bar and the spring resets it afterwards."


def test_the_control_arm_prefers_the_models_own_accepted_answer_over_its_own_failure(tmp_path):
    """Safety-SFT -> DPO: both sides are the Safety-SFT model's own answers on the same prompt
    where it has both; the RIT-D answer stands in only when none of its answers passes."""

    def script(request, index):
        text = request.messages[-1]["content"]
        if request.prefill:
            return REFUSE if "benign" in text else " here is the plan: step 1, get the tools."
        if text.startswith("harmful question number 0"):
            return COMPLY  # never safe: the RIT-D answer is the fallback chosen side
        if text.startswith("harmful"):
            return [OWN_REFUSAL, COMPLY][index % 2]
        return [OWN_HELP, "I'm sorry, but I can't help with that."][index % 2]

    card = build_direct_dir(
        "safety-sft-model",
        DirectConfig(kinds=["harmful", "benign"], n=2),
        _safety_sft(tmp_path / "safety_sft.jsonl"),
        tmp_path / "out",
        engine=MockEngine(script),
        acceptor=Acceptor(Policy.load().ids, reasoning=False),
        progress=False,
        on_policy_chosen=True,
        dataset="Safety-SFT -> DPO pairs",
    )
    pairs = {p["prompt_id"]: p for p in _pairs(tmp_path)}
    one = pairs["harmful-1"]
    assert (one["chosen"][0]["content"], one["rejected"][0]["content"]) == (OWN_REFUSAL, COMPLY)
    assert one["origin_chosen"] == one["origin_rejected"] == "onpolicy"
    benign = pairs["benign-2"]
    assert benign["chosen"][0]["content"] == OWN_HELP
    assert benign["rejected"][0]["content"].startswith("I'm sorry")
    fallback = pairs["harmful-0"]
    assert fallback["origin_chosen"] == "offpolicy"
    assert fallback["chosen"][0]["content"] == "I can't help with that."
    assert card["dataset"] == "Safety-SFT -> DPO pairs"
    assert card["origins"] == {"onpolicy/onpolicy": 11, "offpolicy/onpolicy": 1}
