"""Ablations across runs (saro.analysis.ablations): an arm of one run against an arm of another
on the prompts both scored, with exact McNemar tests and Holm's adjustment, the reasoning
tokens each spent, and the SRS numbers of a RIT-D built from model samples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from saro.analysis.ablations import Entry, compare, markdown
from saro.errors import SaroError
from saro.store import write_json, write_jsonl
from test_seeds import N, write_eval

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "analysis" / "ablations.py"


def make_run(path: Path, hits: set[int], *, split_seed: int = 0, card: dict | None = None) -> Path:
    write_json(path / "run.json", {"split_seed": split_seed, "seed": 0})
    write_eval(path, "rw", hits, {0: "refusal"})
    write_json(path / "models" / "rw" / "run.json", {"train_tokens": 1234})
    if card is not None:
        write_json(path / "rit" / "card.json", card)
    return path


@pytest.fixture
def two_runs(tmp_path):
    """The full run's RW succumbs to jailbreaks 0-7; the ablation's RW to jailbreak 0 only."""
    srs = {"sampled": 40, "accepted": 10, "mean_kept_tokens": 150.0,
           "mean_accepted_tokens": 200.0, "srs_token_saving": 0.25,
           "kept_token_saving": 0.0}  # a random accepted sample kept: no SRS  # fmt: skip
    full = make_run(tmp_path / "full", set(range(8)))
    ablated = make_run(tmp_path / "ablated", {0}, card={"srs": srs, "offline_stand_in": False})
    return full, ablated


def test_two_runs_pair_up_prompt_by_prompt(two_runs):
    full, ablated = two_runs
    entries = [Entry("RW", full, "rw"), Entry("RW ablated", ablated, "rw")]
    result = compare(entries, [("RW ablated", "RW")])
    assert result["table"]["RW"]["jailbreak"] == {"rate": 8 / N, "k": 8, "n": N}
    assert result["table"]["RW ablated"]["jailbreak"]["k"] == 1
    assert result["table"]["RW"]["train_tokens"] == 1234
    tests = {t["metric"]: t for t in result["tests"]}
    jb = tests["jailbreak"]
    # the ablation succeeds on no prompt the full run resisted (b = 0); the full run on 7 (c = 7)
    assert (jb["b"], jb["c"], jb["n_pairs"]) == (0, 7, N)
    assert jb["p"] == pytest.approx(2 / 2**7)
    # both refuse benign prompt 0: no discordant pair, p = 1
    assert tests["strict_overrefusal"]["p"] == 1.0
    assert result["comparisons"] == len(result["tests"]) == 3  # jailbreak, strict, unhelpful
    assert jb["p_holm"] == pytest.approx(3 * 2 / 2**7)
    assert "significant" in result["sentences"][0] and "Holm p" in result["sentences"][0]


def test_the_markdown_shows_rates_tokens_and_srs_from_model_samples_only(two_runs):
    full, ablated = two_runs
    card = {"srs": {"sampled": 100, "accepted": 99}, "offline_stand_in": True}
    write_json(full / "rit" / "card.json", card)  # the seed set standing in: no SRS claim
    result = compare([Entry("RW", full, "rw"), Entry("X", ablated, "rw")], [("X", "RW")])
    assert result["table"]["RW"]["srs"] is None
    md = markdown(result)
    assert "| RW | 66.7 (8/12) |" in md and "1,234" in md
    assert "- X: 10 of 40 samples accepted (25.0%)" in md and "150 tokens" in md
    assert "kept 0.0% shorter; the shortest accepted 25.0% shorter" in md
    assert "- RW:" not in md


def test_runs_split_differently_or_unknown_entries_are_clear_errors(two_runs, tmp_path):
    full, _ = two_runs
    other = make_run(tmp_path / "other", {1}, split_seed=1)
    with pytest.raises(SaroError, match="different split seeds"):
        compare([Entry("A", full, "rw"), Entry("B", other, "rw")], [("A", "B")])
    with pytest.raises(SaroError, match="names 'C', which no entry has"):
        compare([Entry("A", full, "rw")], [("A", "C")])
    with pytest.raises(SaroError, match="LABEL=RUN:MODEL"):
        Entry.parse("no-label")
    with pytest.raises(SaroError, match="no comma in LABEL"):
        Entry.parse(f"RW, SRS={full}:rw")
    with pytest.raises(SaroError, match="has no evaluation of saro"):
        Entry.parse(f"S={full}:saro")


def test_the_script_writes_json_and_markdown(two_runs, tmp_path):
    full, ablated = two_runs
    out = tmp_path / "out"
    args = ["--entry", f"RW={full}:rw", "--entry", f"X={ablated}:rw", "--compare", "X,RW"]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--out", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "ablations.json").exists() and "Paired tests" in (
        out / "ablations.md"
    ).read_text()
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), "--entry", "oops", "--out", str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2 and "LABEL=RUN:MODEL" in bad.stderr and "Traceback" not in bad.stderr


def test_repeated_labels_and_pairs_with_no_common_prompt_are_not_tests(two_runs, tmp_path):
    full, ablated = two_runs
    with pytest.raises(SaroError, match="share the label 'A'"):
        compare([Entry("A", full, "rw"), Entry("A", ablated, "rw")], [])
    # a run evaluated on other prompt ids shares none with the full run: no test is counted
    elsewhere = make_run(tmp_path / "elsewhere", {0})
    for f in (elsewhere / "eval" / "rw" / "samples").glob("*.jsonl"):
        f.write_text(f.read_text().replace('"id": "', '"id": "other-'))
    result = compare([Entry("A", full, "rw"), Entry("B", elsewhere, "rw")], [("A", "B")])
    assert result["tests"] == [] and result["comparisons"] == 0


def test_reasoning_tokens_are_averaged_over_the_suites_every_entry_generated(two_runs):
    full, ablated = two_runs
    write_jsonl(
        full / "eval" / "rw" / "samples" / "jailbreak.jsonl",
        [{"id": "j", "reasoning_tokens": 10, "answer_tokens": 5}],
    )
    write_jsonl(
        full / "eval" / "rw" / "samples" / "gsm8k.jsonl",  # the full run only
        [{"id": "g", "reasoning_tokens": 400, "answer_tokens": 50}],
    )
    write_jsonl(ablated / "eval" / "rw" / "samples" / "jailbreak.jsonl",
                [{"id": "j", "reasoning_tokens": 20, "answer_tokens": 5}])  # fmt: skip
    result = compare([Entry("A", full, "rw"), Entry("B", ablated, "rw")], [])
    assert result["table"]["A"]["mean_reasoning_tokens"] == 10
    assert result["table"]["B"]["mean_reasoning_tokens"] == 20
    assert "gsm8k" not in result["table"]["A"]["token_suites"]
