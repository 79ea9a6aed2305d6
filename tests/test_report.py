"""`saro report`: structure of report.md / report.html, a verdict computed from the numbers,
safe examples only, tolerance to missing parts, and (slow) rendering in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fixtures.run_dir import COMPLIANCE, build_run_dir
from saro.analysis import analyze
from saro.analysis.examples import showable
from saro.analysis.report import write_report
from saro.analysis.summary import compare, verdict
from saro.cli import main

CHROMIUM = Path("/usr/bin/chromium")


class Structure(HTMLParser):
    """Collect tables (as lists of rows of cell texts), images and external references."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[str] = []
        self.external: list[str] = []
        self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
            self.tables[self._table].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "img":
            self.images.append(a.get("src", ""))
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith(("data:", "#")):
                self.external.append(a[key])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    run = build_run_dir(tmp_path_factory.mktemp("rep") / "run")
    analyze(run, embeddings=False)
    md, html = write_report(run)
    return run, md.read_text(), html.read_text()


def test_the_tradeoff_figure_comes_first_above_the_main_table(reported):
    _, md, html = reported
    main = md.index("## Main results")
    assert md.index("![Safety vs helpfulness at a glance", main) < md.index("| model |", main)
    assert html.index('<figure id="glance"><img src="data:image/png;base64,') < html.index(
        '<table id="main-table">'
    )
    assert md.count("(analysis/tradeoff.png)") == 1  # not repeated among the analyses


def test_html_is_self_contained_with_table_and_plots(reported):
    _, _, html = reported
    doc = Structure()
    doc.feed(html)
    table = doc.tables["main-table"]
    assert table[0] == ["model", "Jailbreak ASR", "Rephrased ASR", "Harmful ASR",
                        "Over-refusal (strict)",
                        "Safe compl. (benign)", "Unhelpful (benign)", "GSM8K", "ARC-Easy",
                        "Forced", "Reasoning tok.", "Answer tok."]  # fmt: skip
    assert [r[0] for r in table[1:]] == [
        "Base", "Safety-SFT", "Safety-SFT→DPO", "Direct-DPO", "RW", "SaRO"
    ]  # fmt: skip
    assert table[-1][1] == "15.0% [5.2, 36.0]"  # SaRO jailbreak ASR: 3/20 with Wilson interval
    assert len(doc.images) == 5 and all(s.startswith("data:image/png;base64,") for s in doc.images)
    assert doc.external == []  # nothing fetched from elsewhere
    assert "<style>" in html
    effects = doc.tables["effects-table"]
    assert effects[-1][0] == "SaRO" and effects[-1][5] == "5.0% [0.9, 23.6]"  # copy rate 1/20


def test_markdown_has_table_verdict_and_plot_links(reported):
    _, md, _ = reported
    assert "| SaRO | 15.0% [5.2, 36.0] | n/a | 10.0% [2.8, 30.1] |" in md
    assert "![reflection](analysis/reflection.png)" in md
    assert "embeddings: not available" in md
    assert "SaRO is better in 27 (2 with non-overlapping 95% intervals)" in md
    assert "| total | | 7.2 min |" in md


def test_examples_never_show_harmful_completions_prompts_or_reasoning(reported):
    _, md, html = reported
    for text in (md, html):
        assert COMPLIANCE not in text and "synthetic placeholder" not in text
        assert "synthetic harmful prompt" not in text and "synthetic jailbreak prompt" not in text
        assert "Here is how I will explain it." not in text  # unsafe reasoning
        assert "Sure, I can explain the first part." not in text  # reasoning of a refusal
        assert "synthetic benign prompt" in text  # benign prompts are shown


@pytest.mark.parametrize(
    "rec, expected",
    [
        ({"kind": "benign"}, "full"),
        ({"kind": "math"}, "full"),
        ({"kind": "harmful", "judges": {"refusal": {"answer": {"label": "refusal", "unsafe": False,
                                                                "score": 0.9}}}}, "answer"),
        ({"kind": "jailbreak", "judges": {"refusal": {"answer": {"label": "safe_completion",
                                                                  "unsafe": False, "score": 0.8}}}},
         "answer"),
        ({"kind": "harmful", "judges": {"refusal": {"answer": {"label": "compliance",
                                                                "unsafe": True, "score": 0.1}}}},
         None),
        ({"kind": "harmful", "judges": {"refusal": {"answer": {"label": "empty", "unsafe": False,
                                                                "score": 1.0}}}}, None),
        ({"kind": "harmful", "judges": {"refusal": {"answer": {"label": None, "unsafe": None,
                                                                "score": None}}}}, None),
        ({"kind": "harmful"}, None),  # unjudged
        ({"kind": None}, None),
    ],
)  # fmt: skip
def test_showable(rec, expected):
    assert showable(rec) == expected


def _cell(value, lo, hi):
    return {"value": value, "ci95": [lo, hi]}


def test_verdict_is_computed_from_the_numbers():
    row = lambda jb: {"jailbreak": jb, "harmful": {"value": None}}  # noqa: E731
    table = {"safety_sft": row(_cell(0.5, 0.3, 0.7)), "saro": row(_cell(0.1, 0.03, 0.25))}
    text = " ".join(verdict(table)["sentences"])
    assert "vs Safety-SFT 50.0% [30.0, 70.0]: better, intervals do not overlap" in text
    assert "Harmful ASR: SaRO has no result" in text
    table["saro"] = row(_cell(0.6, 0.4, 0.8))  # the numbers change, so does the verdict
    text = " ".join(verdict(table)["sentences"])
    assert "worse, but the intervals overlap" in text and "better in 0" in text
    assert verdict({"base": row(_cell(0.5, 0.3, 0.7))})["sentences"] == [
        "SaRO was not evaluated in this run, so there is no verdict."
    ]


@pytest.mark.parametrize(
    "a, b, better, outcome, overlap",
    [
        (_cell(0.1, 0.0, 0.2), _cell(0.5, 0.3, 0.7), "lower", "better", False),
        (_cell(0.1, 0.0, 0.35), _cell(0.5, 0.3, 0.7), "lower", "better", True),
        (_cell(0.8, 0.7, 0.9), _cell(0.5, 0.3, 0.6), "lower", "worse", False),
        (_cell(0.8, 0.7, 0.9), _cell(0.5, 0.3, 0.6), "higher", "better", False),
        (_cell(0.5, 0.3, 0.7), _cell(0.5, 0.3, 0.7), "higher", "equal", True),
        ({"value": 0.2, "ci95": None}, _cell(0.5, 0.3, 0.7), "lower", "better", None),
    ],
)
def test_compare(a, b, better, outcome, overlap):
    c = compare(a, b, better)
    assert (c["outcome"], c["overlap"]) == (outcome, overlap)


def test_report_without_analysis_or_run_json(tmp_path, capsys):
    run = build_run_dir(tmp_path / "run", models=("base", "saro"))
    (run / "run.json").unlink()
    assert main(["report", str(run)]) == 0
    out = capsys.readouterr().out
    assert "no analyses yet" in out and out.strip().endswith("report.html")
    md = (run / "report.md").read_text()
    assert "The analyses are not available: run `saro analyze" in md
    assert "run.json is missing" in md
    assert "Not evaluated in this run: Safety-SFT, Safety-SFT→DPO, Direct-DPO, RW." in md
    html = (run / "report.html").read_text()
    doc = Structure()
    doc.feed(html)
    assert len(doc.tables["main-table"]) == 3 and doc.images == []


def test_report_of_an_empty_run_dir(tmp_path):
    (tmp_path / "run").mkdir()
    md, html = write_report(tmp_path / "run")
    assert "No evaluation results are available" in md.read_text()
    assert "No verdict" in md.read_text()
    assert html.read_text().rstrip().endswith("</html>")
    assert main(["report", str(tmp_path / "missing")]) == 2


def test_report_escapes_html_in_responses(tmp_path):
    run = build_run_dir(tmp_path / "run", models=("saro",))
    path = run / "eval" / "saro" / "samples" / "overrefusal.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for r in rows:
        r["answer"] = "<script>alert(1)</script> use <b>care</b>"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    _, html = write_report(run)
    text = html.read_text()
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.slow
def test_report_renders_in_headless_chromium(reported, tmp_path):
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed (Debian: apt install chromium); skipping the check")
    binary = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    run, _, _ = reported
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path}",
             "--dump-dom"]  # fmt: skip
    proc = subprocess.run(
        [binary, *flags, (run / "report.html").resolve().as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = Structure()
    doc.feed(proc.stdout)
    assert len(doc.tables["main-table"]) == 7
    assert len(doc.images) == 5 and all(s.startswith("data:image/png") for s in doc.images)


def test_training_compute_counts_each_arm_with_the_arms_it_starts_from(tmp_path):
    """Compute-aware comparison: SaRO's total is RW's tokens plus its own DPO tokens."""
    from saro.analysis.report import training_rows

    run = build_run_dir(tmp_path / "run", models=("base", "saro"))
    for key, tokens, steps in (("rw", 1000, 10), ("saro", 300, 4), ("safety_sft", 500, 10)):
        (run / "models" / key).mkdir(parents=True, exist_ok=True)
        (run / "models" / key / "run.json").write_text(
            json.dumps({"status": "done", "train_tokens": tokens, "global_step": steps})
        )
    (run / "models" / "sft_dpo").mkdir(exist_ok=True)
    (run / "models" / "sft_dpo" / "run.json").write_text(json.dumps({"status": "running"}))
    rows = {r["model"]: r for r in training_rows(run)}
    assert set(rows) == {"Safety-SFT", "RW", "SaRO"}  # an unfinished run is not counted
    assert (rows["SaRO"]["tokens"], rows["SaRO"]["total"], rows["SaRO"]["start"]) == (
        300, 1300, "RW"
    )  # fmt: skip
    assert rows["RW"]["total"] == 1000
    md, _ = write_report(run)
    assert "| SaRO | RW | 4 | 300 | 1,300 |" in md.read_text()


def test_a_run_without_reader_labels_says_its_judge_is_unchecked(reported):
    _, md, html = reported
    assert "**The judge is not checked on this run's outputs**" in md
    assert '<p class="missing" id="judge-check">' in html


def test_judge_check_counts_agreement_and_both_rates_on_labelled_samples(tmp_path):
    from saro.analysis.judgecheck import judge_check
    from saro.store import read_jsonl, write_jsonl

    run = build_run_dir(tmp_path / "run")
    path = run / "eval" / "saro" / "samples" / "jailbreak.jsonl"
    recs = list(read_jsonl(path))
    # readers label the first 4 SaRO jailbreak answers junk: where the judge said compliance,
    # the two disagree on the compliance bit
    labels = tmp_path / "labels.jsonl"
    write_jsonl(labels, [{"prompt": r["prompt"], "answer": r["answer"], "label": "junk"}
                         for r in recs[:4]])  # fmt: skip
    said = sum(r["judges"]["refusal"]["answer"]["unsafe"] for r in recs[:4])
    got = judge_check(run, labels=[labels])
    saro = next(r for r in got["rows"] if r["model"] == "SaRO")
    assert got["checked"] and saro["labelled"] == 4 and saro["harmful"] == 4
    assert saro["reader_asr_rate"] == 0.0 and saro["judge_asr_rate"] == said / 4
    assert saro["agreement"] == (4 - said) / 4
    assert said > 0  # the fixture's judge called some of them compliance
