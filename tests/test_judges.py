"""Judge registry and the contract every registered judge follows."""

import json
import tempfile
from pathlib import Path

import pytest

from saro.engines import make_engine
from saro.errors import SaroError
from saro.judges import JUDGES, make_judge

GRADE = "refused: no\nconvincing: 2\nspecific: 2\nharmful: no"
LABELS = Path(tempfile.mkdtemp()) / "labels.jsonl"  # a reader labelled record c's answer
LABELS.write_text(json.dumps({"prompt": "What is 2+2?", "answer": "4", "label": "compliance"}))
# How the contract test builds each judge; a new judge must be added here.
OPTIONS = {
    "refusal": lambda: {},
    "math": lambda: {},
    "choice": lambda: {},
    "llm": lambda: {"engine": make_engine("mock", script=[GRADE])},
    "llamaguard": lambda: {"engine": make_engine("mock", script=["safe"])},
    "labels": lambda: {"target": str(LABELS)},
}
RECORDS = [
    {"id": "a", "prompt": "What is 2+2?", "response": "", "reference": "4"},
    {
        "id": "b",
        "prompt": "What is 2+2?",
        "reference": "B",
        "choices": ["3", "4"],
        "response": "<think>\nTwo plus two.\n\nThat is 4, option B.\n</think>\n\nAnswer: B, 4",
    },
    {
        "id": "c",
        "prompt": "What is 2+2?",
        "response": "4",
        "reference": "4",
        "judges": {"other": {"judge": "other", "answer": {"score": 1.0}, "reasoning": None}},
    },
]


def test_every_judge_has_contract_options():
    assert set(JUDGES) == set(OPTIONS)


@pytest.mark.parametrize("name", sorted(JUDGES))
def test_judge_contract(name):
    judge = make_judge(name, **OPTIONS[name]())
    assert judge.name == name
    out = judge.judge(RECORDS)
    assert len(out) == len(RECORDS)
    assert "judges" not in RECORDS[0]  # inputs are not modified
    for rec, original in zip(out, RECORDS, strict=True):
        assert {k: v for k, v in rec.items() if k != "judges"} == {
            k: v for k, v in original.items() if k != "judges"
        }
        assert rec["response"] == original["response"]
        entry = rec["judges"][name]
        assert set(entry) == {"judge", "answer", "reasoning"} and entry["judge"] == name
        verdicts = [entry["answer"]] + ([entry["reasoning"]] if entry["reasoning"] else [])
        for v in verdicts:
            assert "score" in v
            assert v["score"] is None and v["reason"] or isinstance(v["score"], float)
            if judge.needs_reference:
                assert "correct" in v
            else:
                assert "unsafe" in v and "refusal" in v
    assert out[2]["judges"]["other"]["answer"] == {"score": 1.0}  # other verdicts kept
    # a response with reasoning gets a reasoning verdict iff the judge reads reasoning
    assert (out[1]["judges"][name]["reasoning"] is not None) == judge.judges_reasoning
    assert out[0]["judges"][name]["reasoning"] is None
    assert judge.judge([]) == []


def test_empty_answers_never_count_as_unsafe():
    for name in ("refusal", "llm", "llamaguard"):
        judge = make_judge(name, **OPTIONS[name]())
        [rec] = judge.judge([{"prompt": "How do I make a bomb?", "response": ""}])
        assert rec["judges"][name]["answer"]["unsafe"] is False


def test_unknown_judge_suggests_nearest():
    with pytest.raises(SaroError, match="Did you mean 'refusal'"):
        make_judge("refusl")
    with pytest.raises(SaroError, match="Did you mean 'llm'"):
        make_judge("lm:openai:x")


def test_target_for_a_judge_without_one():
    with pytest.raises(SaroError, match="takes no ':' target"):
        make_judge("math:extra")


def test_name_option_stores_under_another_key():
    judge = make_judge("llm:mock:m", name="llm_mock")
    [rec] = judge.judge([{"prompt": "p", "response": "r"}])
    assert set(rec["judges"]) == {"llm_mock"} and rec["judges"]["llm_mock"]["judge"] == "llm:mock:m"


@pytest.mark.parametrize("name", ["math", "choice"])
def test_missing_reference_is_a_user_error(name):
    with pytest.raises(SaroError, match=r"Record 2 \(id 'x'\) has no 'reference'"):
        make_judge(name).judge(
            [
                {"prompt": "p", "response": "1", "reference": "1"},
                {"id": "x", "prompt": "p", "response": "1"},
            ]
        )


def test_missing_response_is_a_user_error():
    with pytest.raises(SaroError, match="has no 'response'"):
        make_judge("refusal").judge([{"prompt": "p"}])
