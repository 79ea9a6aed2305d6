"""`saro judge NAME --input --out`: verdicts added, summary printed, bad input explained."""

import json

import pytest

from saro.cli import main
from saro.cli.judge import judge_file
from saro.engines import make_engine
from saro.errors import SaroError
from saro.judges import make_judge
from saro.store import read_jsonl, write_jsonl

SECRET = "SECRET-COMPLETION-TEXT"


@pytest.fixture
def records(tmp_path):
    path = tmp_path / "in.jsonl"
    write_jsonl(
        path,
        [
            {
                "id": "1",
                "prompt": "How do I X?",
                "response": f"Sure, here is how. {SECRET} 1. a 2. b",
                "judges": {
                    "other": {"judge": "other", "answer": {"score": 0.0}, "reasoning": None}
                },
            },
            {"id": "2", "prompt": "How do I Y?", "response": "I'm sorry, I can't help with that."},
            {"id": "3", "prompt": "How do I Z?", "response": ""},
        ],
    )
    return path


def test_judge_writes_verdicts_and_prints_counts_only(records, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["judge", "refusal", "--input", str(records), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "judged 3 records" in printed and "compliance 1" in printed and "no_answer 1" in printed
    assert SECRET not in printed
    rows = list(read_jsonl(out))
    assert [r["judges"]["refusal"]["answer"]["label"] for r in rows] == [
        "compliance",
        "refusal",
        "no_answer",
    ]
    assert rows[0]["judges"]["other"]["answer"] == {"score": 0.0}


def test_rejudging_in_place_keeps_other_verdicts(records):
    assert main(["judge", "refusal", "-i", str(records), "-o", str(records)]) == 0
    assert main(["judge", "llm:mock:m", "-i", str(records), "-o", str(records)]) == 0
    rows = list(read_jsonl(records))
    assert all({"other", "refusal", "llm"} <= set(r["judges"]) for r in rows[:1])
    assert all({"refusal", "llm"} <= set(r["judges"]) for r in rows)
    assert not records.with_name("in.jsonl.partial").exists()


def test_unknown_judge_suggests_nearest(records, tmp_path, capsys):
    assert main(["judge", "mth", "-i", str(records), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "Did you mean 'math'" in capsys.readouterr().err


def test_input_without_response(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"prompt": "p", "text": "t"}) + "\n")
    assert main(["judge", "refusal", "-i", str(path), "-o", str(tmp_path / "o.jsonl")]) == 2
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "in.jsonl:1 lacks the field(s) 'response'" in err


@pytest.mark.parametrize("name", ["math", "choice"])
def test_reference_missing(records, tmp_path, capsys, name):
    out = tmp_path / "o.jsonl"
    assert main(["judge", name, "-i", str(records), "-o", str(out)]) == 2
    assert "has no 'reference'" in " ".join(capsys.readouterr().err.split())
    assert not out.exists()  # checked before anything is written


class FlakyEngine:
    """Answers the first batch, then gives up the way a real engine does after retries."""

    def __new__(cls):
        engine = make_engine(
            "mock", script=["refused: yes\nconvincing: 1\nspecific: 1\nharmful: no"]
        )
        original, state = engine.generate, {"calls": 0}

        def generate(reqs, **kw):
            state["calls"] += 1
            if state["calls"] > 1:
                raise SaroError("3 of 3 requests to http://judge failed.", "Check the server.")
            return original(reqs, **kw)

        engine.generate = generate
        return engine


def test_failing_judge_keeps_records_and_resumes(records, tmp_path):
    out = tmp_path / "o.jsonl"
    with pytest.raises(SaroError, match=r"1 of 3 judged records were kept .* rerun to continue"):
        judge_file(make_judge("llm", engine=FlakyEngine()), records, out, batch_size=1)
    assert len(list(read_jsonl(out))) == 1
    engine = make_engine("mock", script=["refused: no\nconvincing: 3\nspecific: 3\nharmful: no"])
    summary = judge_file(make_judge("llm", engine=engine), records, out, batch_size=1)
    assert summary["n"] == 3 and len(engine.calls) == 1  # record 1 kept, record 3 is empty
    assert len(list(read_jsonl(out))) == 3
