"""RIT-D: Shortest Rejection Sampling with a scripted teacher; the outputs of `saro data rit`."""

import json
import re

import datasets
import pytest

from saro.datagen.accept import Acceptor, cited_categories
from saro.datagen.rit.build import build_rit
from saro.datagen.rit.config import RitConfig, TeacherConfig
from saro.engines.mock import MockEngine
from saro.errors import SaroError
from saro.policy import Policy
from saro.reasoning import render

IDS = Policy.load().ids

SAFE_SHORT = render(
    [
        "The user wants a weapon built.",
        "That is disallowed under [weapons].",
        "I will decline and point to safety courses.",
    ],
    "I won't help with that. A certified safety course is a good start.",
)
SAFE_LONG = render(
    [
        "The request asks for a weapon to be assembled at home, step by step, which "
        "would give real capability to hurt people.",
        "Policy [weapons] forbids manufacturing instructions; nothing here is "
        "educational or historical.",
        "So I decline and offer something legitimate instead, like a range course.",
    ],
    "I can't help build weapons. If you are interested in sport shooting, a "
    "licensed range runs beginner safety courses.",
)
NO_CITATION = render(
    ["The user wants a weapon.", "I should not help.", "Decline."], "I can't help with that."
)
COMPLY = render(
    ["The user wants a weapon.", "Sure, here it goes.", "Listing the parts."],
    "Sure! Here is how you do it: first gather the parts, then assemble them.",
)
HELPFUL = render(
    [
        "They ask how vaccines train immunity.",
        "Education is allowed under [advice].",
        "Explain antigens and memory cells.",
    ],
    "Vaccines show your immune system a harmless piece of a pathogen, so B cells "
    "make antibodies and memory cells remember it for a faster response later.",
)
REFUSE_BENIGN = render(
    ["They ask about vaccines.", "This might be [advice].", "Decline."],
    "I'm sorry, but I can't help with that request.",
)


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return f"{path}:text"


def test_citations_must_be_policy_ids():
    assert cited_categories("[cyber] and [weapons] and [cyber] and [nope]", IDS) == [
        "cyber",
        "weapons",
    ]


@pytest.mark.parametrize(
    ("kind", "response", "ok"),
    [
        ("harmful", SAFE_SHORT, True),
        ("harmful", NO_CITATION, False),
        ("harmful", COMPLY, False),
        ("harmful", "I won't help.", False),  # no reasoning: malformed
        ("benign", HELPFUL, True),
        ("benign", REFUSE_BENIGN, False),
        (
            "math",
            render(["2 + 2 = 4", "Nothing else to add.", "Check: 4."], "The answer is 4."),
            True,
        ),
        (
            "math",
            render(["2 + 2 = 5", "Nothing else to add.", "Check: 5."], "The answer is 5."),
            False,
        ),
    ],
)
def test_acceptance_rules(kind, response, ok):
    [(accepted, reason)] = Acceptor(IDS).check(
        [{"kind": kind, "prompt": "q", "response": response, "reference": "4"}]
    )
    assert accepted is ok, reason


@pytest.fixture
def teacher_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))
    harmful = write(
        tmp_path / "harm.jsonl", [{"text": f"how do I build weapon {i}"} for i in range(12)]
    )
    benign = write(
        tmp_path / "ben.jsonl", [{"text": f"how do vaccines work, part {i}"} for i in range(12)]
    )

    def script(request, index):
        text = request.messages[-1]["content"]
        if text.endswith(("weapon 3", "weapon 7")):  # never acceptable
            return COMPLY
        if "weapon" in text:
            return [COMPLY, SAFE_LONG, SAFE_SHORT, NO_CITATION][index % 4]
        return [REFUSE_BENIGN, HELPFUL][index % 2]

    cfg = RitConfig(
        teacher=TeacherConfig(engine="mock", k=4, max_rounds=2),
        prompts={"harmful": {"source": harmful}, "benign": {"source": benign}},
        kinds=["harmful", "benign"],
        tokenizer=None,
    )
    return cfg, MockEngine(script)


def test_srs_keeps_the_shortest_accepted_and_skips_all_rejected(tmp_path, teacher_setup):
    cfg, engine = teacher_setup
    card = build_rit(cfg, tmp_path / "out", progress=False, engine=engine)
    rows = [json.loads(x) for x in (tmp_path / "out" / "rit.jsonl").read_text().splitlines()]
    harmful = [r for r in rows if r["kind"] == "harmful"]
    assert harmful and all(r["messages"][1]["content"] == SAFE_SHORT for r in harmful)
    assert all(r["n_sampled"] == 4 and r["n_accepted"] == 2 for r in harmful)
    # weapons 3 and 7 never get an accepted trace: retried for max_rounds rounds, then skipped
    seen = {job.request.messages[-1]["content"] for job in engine.calls}
    hopeless = len(seen & {"how do I build weapon 3", "how do I build weapon 7"})
    stats = card["srs_per_kind"]["harmful"]
    assert stats["skipped"] == hopeless and stats["prompts"] == len(harmful) + hopeless
    assert stats["sampled"] == 4 * len(harmful) + 8 * hopeless
    short, long_ = len(SAFE_SHORT.split()), len(SAFE_LONG.split())  # tokenizer=None: words
    assert stats["srs_token_saving"] == pytest.approx(1 - short / ((short + long_) / 2))
    assert stats["kept_token_saving"] == stats["srs_token_saving"]  # SRS kept the shortest
    benign = [r for r in rows if r["kind"] == "benign"]
    assert benign and all(r["messages"][1]["content"] == HELPFUL for r in benign)


def test_outputs_load_with_datasets_and_match(tmp_path, teacher_setup):
    cfg, engine = teacher_setup
    build_rit(cfg, tmp_path / "out", progress=False, engine=engine)
    out = tmp_path / "out"
    rit = datasets.load_dataset("json", data_files=str(out / "rit.jsonl"), split="train")
    plain = datasets.load_dataset("json", data_files=str(out / "safety_sft.jsonl"), split="train")
    assert len(rit) == len(plain) > 0
    assert all("<think>" not in r["messages"][1]["content"] for r in plain)
    assert [r["id"] for r in rit] == [r["id"] for r in plain]
    info = json.loads((out / "llamafactory" / "dataset_info.json").read_text())
    assert info["saro_rit"]["formatting"] == "sharegpt"
    conv = json.loads((out / "llamafactory" / "saro_rit.json").read_text())
    assert conv[0]["conversations"][0]["from"] == "human"
    assert "Shortest Rejection Sampling" in (out / "card.md").read_text()


def test_rerun_is_served_from_the_generation_cache(tmp_path, teacher_setup):
    from saro.engines.factory import open_cache

    cfg, engine = teacher_setup
    open_cache(engine)
    build_rit(cfg, tmp_path / "a", progress=False, engine=engine)
    ran = len(engine.calls)
    build_rit(cfg, tmp_path / "b", progress=False, engine=engine)
    assert len(engine.calls) == ran
    assert (tmp_path / "a" / "rit.jsonl").read_text() == (tmp_path / "b" / "rit.jsonl").read_text()


def test_a_failing_teacher_keeps_finished_prompts_and_resumes(tmp_path, teacher_setup):
    from saro.engines.factory import open_cache
    from saro.errors import SaroError

    cfg, good = teacher_setup

    class Flaky(MockEngine):
        def _run(self, jobs, params, on_done, *, progress):
            half = len(jobs) // 2
            super()._run(jobs[:half], params, on_done, progress=progress)
            raise SaroError("Endpoint http://teacher failed after 5 retries.", "Rerun to resume.")

    flaky = Flaky(good.script)
    cache = open_cache(flaky)
    with pytest.raises(SaroError, match="Rerun to resume"):
        build_rit(cfg, tmp_path / "out", progress=False, engine=flaky)
    finished = len(cache)
    assert finished > 0 and not (tmp_path / "out" / "rit.jsonl").exists()
    good.cache = cache
    build_rit(cfg, tmp_path / "out", progress=False, engine=good)
    assert len(good.calls) == len(cache) - finished  # only the unfinished jobs ran again
    assert (tmp_path / "out" / "rit.jsonl").exists()


def test_seed_teacher_can_keep_the_shortest_traces_per_kind(tmp_path, monkeypatch):
    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))
    cfg = RitConfig(kinds=["math"], limit_per_kind=5, select="shortest", tokenizer=None)
    build_rit(cfg, tmp_path / "out", progress=False)
    rows = [json.loads(x) for x in (tmp_path / "out" / "rit.jsonl").read_text().splitlines()]
    from saro.datagen.rit.seed import load_seed_set

    all_lengths = sorted(len(t.response().split()) for t in load_seed_set(kinds=("math",)))
    assert sorted(r["tokens"] for r in rows) == all_lengths[:5]


def test_limit_per_kind_can_be_a_mapping(tmp_path, monkeypatch):
    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))
    cfg = RitConfig(
        kinds=["math", "harmful"], limit_per_kind={"math": 3, "harmful": 6}, tokenizer=None
    )
    build_rit(cfg, tmp_path / "out", progress=False)
    rows = [json.loads(x) for x in (tmp_path / "out" / "rit.jsonl").read_text().splitlines()]
    assert sorted(r["kind"] for r in rows) == ["harmful"] * 6 + ["math"] * 3
    assert RitConfig(limit_per_kind={"math": 3}).kind_limit("general") == float("inf")


def test_stratified_selection_keeps_the_mix_of_sources_attack_kinds_and_corrections(
    tmp_path, monkeypatch
):
    """A capped kind keeps each stratum's share (largest remainders), not the shortest traces."""
    from collections import Counter

    from saro.datagen.rit.seed import load_seed_set
    from saro.datagen.rit.select import stratum

    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))
    full = {t.prompt.id: t for t in load_seed_set(kinds=("jailbreak", "benign"))}

    def mix(ids):
        return Counter(stratum(full[i].prompt, bool(full[i].correction)) for i in ids)

    cfg = RitConfig(kinds=["jailbreak", "benign"], limit_per_kind=20, tokenizer=None)
    assert cfg.select == "stratified"
    build_rit(cfg, tmp_path / "out", progress=False)
    rows = [json.loads(x) for x in (tmp_path / "out" / "rit.jsonl").read_text().splitlines()]
    for kind in ("jailbreak", "benign"):
        kept = [r["prompt_id"] if "prompt_id" in r else r["id"] for r in rows if r["kind"] == kind]
        everything = [i for i, t in full.items() if t.kind == kind]
        assert len(kept) == 20
        want, got = mix(everything), mix(kept)
        for key, n in want.items():  # each stratum within one of its proportional share
            assert abs(got[key] - 20 * n / len(everything)) < 1, (kind, key)
    templates = [r for r in rows if r["kind"] == "jailbreak" and "transform/" not in r["attack"]]
    assert len(templates) >= 8  # 'shortest' kept 4 of 14 in the demo
    card = json.loads((tmp_path / "out" / "card.json").read_text())
    assert card["corrections"]["total"] == sum(1 for r in rows if r["correction_step"])


def test_the_same_seed_selects_the_same_prompts_and_another_seed_others(tmp_path, monkeypatch):
    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))

    def ids(seed):
        cfg = RitConfig(kinds=["harmful"], limit_per_kind=10, tokenizer=None, seed=seed)
        out = tmp_path / f"s{seed}"
        build_rit(cfg, out, progress=False)
        return [json.loads(x)["id"] for x in (out / "rit.jsonl").read_text().splitlines()]

    assert ids(0) == ids(0) and ids(0) != ids(1)


def test_allocation_shares_the_cap_by_largest_remainders():
    from saro.datagen.rit.select import allocate

    assert allocate({"a": 6, "b": 3, "c": 1}, 5) == {"a": 3, "b": 2, "c": 0}
    assert allocate({"a": 2, "b": 2}, 10) == {"a": 2, "b": 2}
    assert sum(allocate({"a": 7, "b": 5, "c": 3}, 8).values()) == 8


def test_an_unknown_selection_is_a_clear_error(tmp_path):
    with pytest.raises(SaroError, match="Unknown rit.select 'longest'"):
        build_rit(
            RitConfig(kinds=["math"], limit_per_kind=2, select="longest", tokenizer=None),
            tmp_path,
            progress=False,
        )


def test_srs_on_real_samples_keeps_the_models_shortest_accepted_or_the_seed_trace(
    tmp_path, monkeypatch
):
    """Offline SRS: k samples from a warmed-up model, each prefilled with the seed trace's first
    step; the shortest accepted is kept, the seed trace only where no sample passes, and the
    saving is measured against the mean accepted sample."""
    from saro.datagen.rit.seed import load_seed_set

    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))
    cat = "[weapons]"
    short = f"\n\nIt falls under {cat}, so I decline.\n</think>\n\nI can't help with that."
    long_ = (
        f"\n\nIt falls under {cat}; the details would let someone hurt people, so I will not "
        "give them and will point to a safe option instead.\n</think>\n\nI can't help with "
        "that, but a licensed range runs safety courses."
    )
    comply = "\n\nListing the parts.\n</think>\n\nSure, here is how: first get the parts."
    traces = load_seed_set(kinds=("harmful",))[:4]
    hopeless = traces[0].prompt.text

    def script(request, index):
        assert request.prefill.startswith("<think>\n") and request.prefill.endswith("\n\n")
        if request.messages[-1]["content"] == hopeless:
            return comply
        return [comply, long_, short, long_][index % 4].removeprefix("\n\n")

    cfg = RitConfig(
        teacher=TeacherConfig(engine="seed", model="warm-rw", k=4),
        kinds=["harmful"],
        limit_per_kind=4,
        select="first",
        tokenizer=None,
    )
    asked = []  # --no-progress reaches the engine: no generation bar in a quiet run's log

    class Quiet(MockEngine):
        def generate(self, *args, **kwargs):
            asked.append(kwargs.get("progress", True))
            return super().generate(*args, **kwargs)

    card = build_rit(cfg, tmp_path / "out", progress=False, engine=Quiet(script))
    assert asked == [False]
    rows = {
        r["messages"][0]["content"]: r
        for r in map(json.loads, (tmp_path / "out" / "rit.jsonl").read_text().splitlines())
    }
    assert rows[hopeless]["origin"] == "seed-fallback"
    assert rows[hopeless]["messages"][1]["content"] == traces[0].response()
    for t in traces[1:]:
        kept = rows[t.prompt.text]["messages"][1]["content"]
        assert kept.startswith("<think>\n" + t.steps[0] + "\n\n") and kept.endswith(
            "I can't help with that."
        )
    srs = card["srs"]
    assert (srs["sampled"], srs["accepted"], srs["fallback"]) == (16, 9, 1)
    # per prompt 3 accepted (long, short, long): the saving is over the mean accepted length
    lengths = [
        [len(("<think>\n" + t.steps[0] + x).split()) for x in (short, long_)] for t in traces[1:]
    ]
    expected = 1 - sum(s for s, _ in lengths) / sum((s + 2 * lo) / 3 for s, lo in lengths)
    assert srs["srs_token_saving"] == pytest.approx(expected) and not card["offline_stand_in"]
    assert srs["with_choice"] == 3 and srs["srs_token_saving_with_choice"] == pytest.approx(
        expected
    )
    md = (tmp_path / "out" / "card.md").read_text()
    assert "kept their seed trace" in md and "3 prompts had two or more accepted samples" in md

    class Strict(Acceptor):  # the seed trace of the hopeless prompt fails the acceptor too
        def check(self, items):
            return [
                (False, "seed trace rejected") if it["response"] == traces[0].response() else v
                for it, v in zip(items, super().check(items), strict=True)
            ]

    card = build_rit(
        cfg, tmp_path / "strict", progress=False, engine=Quiet(script), acceptor=Strict(IDS)
    )
    assert card["rows"] == 3 and card["srs"]["skipped"] == 1 and card["srs"]["fallback"] == 0


def test_the_no_reflection_ablation_leaves_every_correction_out_at_the_same_size(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))
    cfg = RitConfig(kinds=["harmful", "benign"], limit_per_kind=20, tokenizer=None)
    with_c = build_rit(cfg, tmp_path / "a", progress=False)
    cfg.corrections = False
    without = build_rit(cfg, tmp_path / "b", progress=False)
    assert with_c["corrections"]["total"] > 0 and without["corrections"]["total"] == 0
    assert with_c["rows"] == without["rows"] == 40
    assert "corrections: false" in next(iter(without["seed_traces_left_out"]))
    assert "0 of 40 (0%). Refusal targets" in (tmp_path / "b" / "card.md").read_text()
    assert re.search(
        r"\(\d+%\); benign \d+, harmful \d+\.", (tmp_path / "a" / "card.md").read_text()
    )


def test_the_no_srs_ablation_keeps_a_random_accepted_candidate(tmp_path, teacher_setup):
    """keep: random: the same acceptance, no length preference (seeded)."""
    cfg, engine = teacher_setup
    cfg.teacher.keep = "random"
    card = build_rit(cfg, tmp_path / "out", progress=False, engine=engine)
    rows = [json.loads(x) for x in (tmp_path / "out" / "rit.jsonl").read_text().splitlines()]
    harmful = [r["messages"][1]["content"] for r in rows if r["kind"] == "harmful"]
    assert set(harmful) == {SAFE_SHORT, SAFE_LONG}  # both accepted ones are kept somewhere
    # the card still says what SRS would have saved, and what the kept ones saved (less)
    stats = card["srs_per_kind"]["harmful"]
    short, long_ = len(SAFE_SHORT.split()), len(SAFE_LONG.split())
    assert stats["srs_token_saving"] == pytest.approx(1 - short / ((short + long_) / 2))
    kept_mean = sum(len(h.split()) for h in harmful) / len(harmful)
    assert stats["kept_token_saving"] == pytest.approx(1 - kept_mean / ((short + long_) / 2))
    assert stats["kept_token_saving"] < stats["srs_token_saving"]
    assert stats["with_choice"] == len(harmful)  # two accepted per prompt: a choice each time
    md = (tmp_path / "out" / "card.md").read_text()
    assert "Kept a random accepted sample (no SRS)" in md and "would have saved" in md
    cfg.teacher.keep = "longest"
    with pytest.raises(SaroError, match="Unknown teacher.keep 'longest'"):
        build_rit(cfg, tmp_path / "x", progress=False, engine=engine)
