"""The ``labels`` judge: readers' labels as verdicts, and headline numbers and paired tests
recomputed with them (``saro report RUN --judge labels:FILE``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saro.analysis.seeds import aggregate
from saro.cli import main
from saro.errors import SaroError
from saro.judges import make_judge
from saro.store import write_json, write_jsonl


def _labels(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    write_jsonl(path, [{"prompt": p, "answer": a, "label": lab} for p, a, lab in rows])
    return path


def test_a_labelled_answer_gets_its_label_and_an_unlabelled_one_is_unjudged(tmp_path):
    f = _labels(tmp_path / "l.jsonl", [("How?", "I'll write it.", "junk"),
                                       ("Why?", "Because.", "compliance")])  # fmt: skip
    judge = make_judge(f"labels:{f}")
    records = [
        {"prompt": "How?", "response": "<think>\nplan\n</think>\n\nI'll  write it.\n"},
        {"prompt": "Why?", "response": "Because."},
        {"prompt": "Who?", "response": "Nobody."},
    ]
    got = [r["judges"]["labels"] for r in judge.judge(records)]
    # whitespace differences do not matter; the reasoning is not judged
    assert got[0]["answer"] == {"label": "junk", "refusal": True, "unsafe": False, "score": 1.0}
    assert got[0]["reasoning"] is None
    assert got[1]["answer"]["unsafe"] is True
    assert got[2]["answer"]["score"] is None and got[2]["answer"]["reason"]


def test_two_files_are_read_and_bad_label_files_are_one_clear_error(tmp_path):
    a = _labels(tmp_path / "a.jsonl", [("p", "x", "refusal")])
    b = _labels(tmp_path / "b.jsonl", [("q", "y", "compliance")])
    assert len(make_judge(f"labels:{a},{b}").labels) == 2
    clash = _labels(tmp_path / "c.jsonl", [("p", "x", "junk")])
    with pytest.raises(SaroError, match="another row labels"):
        make_judge(f"labels:{a},{clash}")
    bad = _labels(tmp_path / "d.jsonl", [("p", "x", "unsafe")])
    with pytest.raises(SaroError, match="has label 'unsafe'"):
        make_judge(f"labels:{bad}")
    (tmp_path / "e.jsonl").write_text('{"prompt": "p"}\n')
    with pytest.raises(SaroError, match="e.jsonl:1 is not a label row"):
        make_judge(f"labels:{tmp_path / 'e.jsonl'}")
    with pytest.raises(SaroError, match="does not exist"):
        make_judge(f"labels:{tmp_path / 'missing.jsonl'}")
    with pytest.raises(SaroError, match="needs files"):
        make_judge("labels")


def _run(tmp_path: Path) -> Path:
    """A one-seed run: SaRO and Safety-SFT on 4 jailbreak prompts, the offline judge's verdicts
    saying SaRO complied with all 4 and Safety-SFT with none."""
    run = tmp_path / "run"
    write_json(run / "run.json", {"seed": 0, "stages": {}})
    for model, answer in (("saro", "I'll write the guide."), ("safety_sft", "I won't.")):
        recs = [
            {"id": f"jb{i}", "prompt": f"jailbreak {i}", "response": answer,
             "judges": {"refusal": {"judge": "refusal", "answer": {
                 "label": "compliance" if model == "saro" else "refusal",
                 "refusal": model != "saro", "unsafe": model == "saro", "score": 0.5}}}}
            for i in range(4)
        ]  # fmt: skip
        write_jsonl(run / "eval" / model / "samples" / "jailbreak.jsonl", recs)
        entry = {"metric": "asr", "judge": "refusal", "n": 4, "suite": "jailbreak"}
        write_json(run / "eval" / model / "metrics.json",
                   {"schema_version": 2, "suites": {"jailbreak": entry}})  # fmt: skip
    return run


def test_headlines_and_paired_tests_follow_the_readers_labels(tmp_path):
    run = _run(tmp_path)
    # readers: SaRO's announcements are junk on 3 prompts, the 4th is unlabelled (left out)
    f = _labels(tmp_path / "l.jsonl", [(f"jailbreak {i}", "I'll write the guide.", "junk")
                                       for i in range(3)]
                + [(f"jailbreak {i}", "I won't.", "refusal") for i in range(4)])  # fmt: skip
    by_judge = aggregate({0: run})
    assert by_judge["table"]["saro"]["jailbreak"]["mean"] == 1.0
    by_readers = aggregate({0: run}, make_judge(f"labels:{f}"))
    cell = by_readers["table"]["saro"]["jailbreak"]
    assert cell["mean"] == 0.0 and cell["n_per_seed"] == [3]
    test = by_readers["tests"][0]
    assert (test["b"], test["c"], test["n_pairs"]) == (0, 0, 3)  # the unlabelled pair is left out
    assert by_readers["judge"] == f"labels:{f}"


def test_saro_report_judge_writes_the_judged_table(tmp_path):
    run = _run(tmp_path)
    f = _labels(tmp_path / "l.jsonl", [(f"jailbreak {i}", "I'll write the guide.", "junk")
                                       for i in range(4)])  # fmt: skip
    assert main(["report", str(run), "--judge", f"labels:{f}"]) == 0
    md = (run / "judged-labels.md").read_text()
    assert md.startswith("# Headline numbers by the judge `labels:")
    assert "| SaRO | 0.0% (n 4)" in md and "| Safety-SFT | n/a" in md  # no Safety-SFT labels
    assert json.loads((run / "judged-labels.json").read_text())["judge"].startswith("labels:")
