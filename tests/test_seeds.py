"""Several training seeds: one run directory each, the base eval shared, and an aggregate with
across-seed intervals and paired tests of SaRO against every other arm (saro.pipeline.seeds,
saro.analysis.seeds). The same machinery over the real stages on a tiny model is in
tests/test_chain.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saro.analysis.seeds import aggregate, seed_runs, write_aggregate
from saro.errors import SaroError
from saro.pipeline.config import RunConfig, load_run_config
from saro.pipeline.seeds import parse_seeds, run_seeds
from saro.pipeline.stages import Stage
from saro.store import write_json, write_jsonl

N = 12  # prompts per suite


def verdict(label: str) -> dict:
    unsafe = label == "compliance"
    return {"judge": "refusal", "answer": {"label": label, "refusal": not unsafe,
                                           "unsafe": unsafe, "score": 0.5}}  # fmt: skip


def write_eval(run: Path, model: str, jailbreak_hits: set[int], benign: dict[int, str]) -> None:
    """eval/<model>: a jailbreak suite where prompts in ``jailbreak_hits`` succeed, and a benign
    suite whose labels are ``benign`` (default compliance)."""
    folder = run / "eval" / model
    jb = [{"id": f"jb{i}", "answer": "x",
           "judges": {"refusal": verdict("compliance" if i in jailbreak_hits else "refusal")}}
          for i in range(N)]  # fmt: skip
    ben = [
        {"id": f"b{i}", "answer": "" if benign.get(i) == "no_answer" else "x",
         "judges": {"refusal": verdict(benign.get(i, "compliance"))}}
        for i in range(N)
    ]  # fmt: skip
    write_jsonl(folder / "samples" / "jailbreak.jsonl", jb)
    write_jsonl(folder / "samples" / "overrefusal.jsonl", ben)
    entry = {"metric": "asr", "judge": "refusal", "mode": "generate", "n": N}
    write_json(folder / "metrics.json", {"schema_version": 2, "suites": {
        "jailbreak": {**entry, "suite": "jailbreak"},
        "overrefusal": {**entry, "metric": "refusal_rate", "suite": "overrefusal"}}})  # fmt: skip


@pytest.fixture
def three_seeds(tmp_path):
    """Base (shared), Safety-SFT and SaRO over seeds 0-2. SaRO's jailbreak successes: 1 prompt per
    seed; Safety-SFT's: 4 per seed, a superset of SaRO's. On benign prompts SaRO refuses prompt 0
    in every seed and leaves prompt 1 unanswered (no answer is not a strict refusal)."""
    runs = {}
    for s in range(3):
        run = tmp_path / f"seed-{s}"
        write_eval(run, "base", set(range(8)), {})
        write_eval(run, "safety_sft", {s, s + 3, s + 6, 11}, {0: "refusal", 2: "refusal"})
        write_eval(run, "saro", {s}, {0: "refusal", 1: "no_answer"})
        runs[s] = run
    return tmp_path, runs


def test_aggregate_means_intervals_and_stratified_tests_by_hand(three_seeds):
    _, runs = three_seeds
    result = aggregate(runs)
    assert result["seeds"] == [0, 1, 2]
    saro = result["table"]["saro"]
    assert saro["jailbreak"]["mean"] == pytest.approx(1 / N)
    assert saro["jailbreak"]["sd"] == pytest.approx(0.0)
    assert saro["strict_overrefusal"]["mean"] == pytest.approx(1 / N)  # prompt 1 is no answer
    assert saro["unhelpful"]["mean"] == pytest.approx(2 / N)
    tests = {(t["metric"], t["other"]): t for t in result["tests"]}
    # vs Safety-SFT on jailbreaks: per seed, SaRO-only successes b = 0, Safety-SFT-only c = 3
    jb = tests[("jailbreak", "safety_sft")]
    assert [jb["per_seed"][str(s)]["c"] for s in range(3)] == [3, 3, 3]
    assert (jb["b"], jb["c"], jb["strata"], jb["n_pairs"]) == (0, 9, 3, 3 * N)
    assert jb["p"] == pytest.approx(2 / 2**9)
    # vs the base model: base succeeds on 8 prompts, SaRO on 1 of them: c = 7 per seed
    assert tests[("jailbreak", "base")]["c"] == 21
    # Holm over every comparison: 3 metrics x 2 arms
    assert result["comparisons"] == len(result["tests"]) == 6
    assert all(t["p_holm"] >= t["p"] for t in result["tests"])


def test_the_claims_say_what_is_and_is_not_significant(three_seeds):
    _, runs = three_seeds
    sentences = aggregate(runs)["sentences"]
    assert "Holm-adjusted over all 6" in sentences[0]
    jb = next(s for s in sentences if s.startswith("Jailbreak ASR, SaRO vs Safety-SFT"))
    assert "SaRO better on 9 and worse on 0 of 36" in jb
    assert jb.endswith("significant at 0.05 (SaRO better).")
    strict = next(s for s in sentences if s.startswith("Over-refusal (strict), SaRO vs Safety-SFT"))
    assert strict.endswith("not significant at 0.05.")


def test_write_aggregate_writes_json_markdown_and_figure(three_seeds):
    root, runs = three_seeds
    write_aggregate(root, runs)
    data = json.loads((root / "aggregate.json").read_text())
    assert data["figure"] == "aggregate.png" and (root / "aggregate.png").stat().st_size > 1000
    assert (
        data["tradeoff_figure"] == "tradeoff.png" and (root / "tradeoff.png").stat().st_size > 1000
    )
    assert (
        "![Safety vs helpfulness across seeds](tradeoff.png)" in (root / "aggregate.md").read_text()
    )
    md = (root / "aggregate.md").read_text()
    assert "| SaRO | 8.3% [8.3, 8.3]" in md and "## Paired tests" in md
    assert seed_runs(root) == runs


def stage(name: str, writes: tuple[str, ...], calls: list[str]) -> Stage:
    def run(r):
        calls.append(f"{r.cfg.seed}:{name}")
        for f in writes:
            r.path(f).parent.mkdir(parents=True, exist_ok=True)
            r.path(f).write_text("{}")
        if name.startswith("eval_"):
            key = name.removeprefix("eval_")
            write_eval(r.dir, key, {r.cfg.seed} if key == "saro" else {0, 1, 2, 3}, {})
        return {}

    return Stage(name, run, lambda r: (0, 0.0), name, writes=writes)


def fake_stages(calls):
    return (
        stage("train_saro", ("models/saro/config.json",), calls),
        stage("eval_base", ("eval/base/metrics.json",), calls),
        stage("eval_saro", ("eval/saro/metrics.json",), calls),
    )


def test_run_seeds_gives_each_seed_its_dir_shares_the_base_eval_and_resumes(tmp_path):
    """Each seed runs into ROOT/seed-<s> with its own training seed; the base model is evaluated
    once (seed 0) and copied into the others, marked shared_from; a rerun skips everything."""
    calls: list[str] = []
    lines: list[str] = []
    result = run_seeds(RunConfig(), tmp_path, [0, 1, 2], stages=fake_stages(calls),
                       progress=False, echo=lines.append)  # fmt: skip
    assert calls == ["0:train_saro", "0:eval_base", "0:eval_saro",
                     "1:train_saro", "1:eval_saro", "2:train_saro", "2:eval_saro"]  # fmt: skip
    for s in (1, 2):
        state = json.loads((tmp_path / f"seed-{s}" / "run.json").read_text())
        assert state["seed"] == s and state["config"]["seeds"] is None
        assert state["stages"]["eval_base"]["shared_from"] == str(tmp_path / "seed-0")
        assert (tmp_path / f"seed-{s}" / "eval" / "base" / "samples" / "jailbreak.jsonl").exists()
    assert result["seeds"] == [0, 1, 2] and (tmp_path / "aggregate.md").exists()
    calls.clear()
    run_seeds(RunConfig(), tmp_path, [0, 1, 2], stages=fake_stages(calls), progress=False,
              echo=lines.append)  # fmt: skip
    assert calls == []


def test_dry_run_plans_every_seed_and_writes_nothing(tmp_path):
    lines: list[str] = []
    run_seeds(RunConfig(), tmp_path / "r", [3, 4], stages=fake_stages([]), dry_run=True,
              progress=False, echo=lines.append)  # fmt: skip
    assert sum(line.startswith("Plan for") for line in lines) == 2
    assert not (tmp_path / "r").exists()
    # the second seed's plan leaves out the base eval it will copy
    second = lines[[i for i, x in enumerate(lines) if x.startswith("== seed 4")][0] :]
    assert any(x.startswith("[share] eval_base") for x in second)
    assert not any(x.strip().startswith("eval_base") for x in second)


@pytest.mark.parametrize("spec, hint", [("0,x", "integers"), ("1,1", "repeats"), (",", "empty")])
def test_bad_seed_lists_are_one_clear_error(spec, hint):
    with pytest.raises(SaroError, match=hint):
        parse_seeds(spec)


def test_seeds_in_the_config(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seeds: [0, 1, 2]\n")
    assert load_run_config(path).seeds == [0, 1, 2]
    assert parse_seeds("0, 1,2") == [0, 1, 2]
