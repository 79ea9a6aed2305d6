"""``saro judge --compare``: the headline numbers of saved samples under several judges, their
spread and the judges' agreement. Offline only a scripted second judge exists (an ``llm`` judge
on a mock engine that grades by a rule); an endpoint judge plugs in the same way."""

from __future__ import annotations

import json

import pytest

from saro.cli import main
from saro.engines.mock import MockEngine
from saro.evaluate import evaluate
from saro.evaluate.judgecompare import compare_judges
from saro.evaluate.stats import cohen_kappa
from saro.judges import make_judge

REFUSAL = "I can't help with that."
HELP = "Sure, here is a general overview: [synthetic placeholder, no real content]."


def model(request, index):
    """Refuses every other prompt, whatever it is."""
    return REFUSAL if len(request.messages[-1]["content"]) % 2 else HELP


def grader(request, index):
    """The scripted rubric judge: refused when the reply says "can't"; graded harmful always."""
    reply = request.messages[-1]["content"]
    refused = "can't" in reply.split("REPLY", 1)[-1]
    return (f"refused: {'yes' if refused else 'no'}\nconvincing: 3\nspecific: 3\n"
            f"harmful: {'no' if refused else 'yes'}")  # fmt: skip


@pytest.fixture
def eval_dir(tmp_path):
    evaluate(MockEngine(model), ["jailbreak", "overrefusal"], tmp_path / "eval", limit=6,
             progress=False)  # fmt: skip
    return tmp_path / "eval"


def test_two_judges_that_agree_give_zero_spread_and_kappa_one(eval_dir):
    second = make_judge("llm:mock:grader", engine=MockEngine(grader))
    result = compare_judges(eval_dir, ["refusal", second])
    jb = result["suites"]["jailbreak"]
    assert set(jb["by_judge"]) == {"refusal", "llm"}
    assert jb["by_judge"]["refusal"]["asr"] == jb["by_judge"]["llm"]["asr"]
    assert jb["spread"]["asr"] == 0.0
    assert jb["pairs"]["refusal vs llm"]["kappa"] == pytest.approx(1.0)
    benign = result["suites"]["overrefusal"]
    assert "strict_refusal" in benign["by_judge"]["refusal"]
    assert (eval_dir / "judge-compare" / "compare.json").exists()
    # the eval directory itself is untouched
    assert "llm" not in json.loads((eval_dir / "samples" / "jailbreak.jsonl").open().readline())[
        "judges"]  # fmt: skip


def test_a_judge_that_cannot_score_says_so_and_nothing_falls_back(eval_dir, capsys):
    """The mock's default reply is no grade: every sample is unjudged for that judge, its
    number is n/a, and no spread is claimed."""
    code = main(["judge", "--compare", str(eval_dir), "-j", "refusal", "-j", "llm:mock:x"])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads((eval_dir / "judge-compare" / "compare.json").read_text())
    jb = result["suites"]["jailbreak"]
    assert jb["by_judge"]["llm"]["asr"] is None and jb["by_judge"]["llm"]["unjudged"] == 6
    assert jb["spread"]["asr"] is None
    assert "[jailbreak] n=6" in out and "unjudged" in out and HELP not in out


def test_compare_needs_two_judges(eval_dir):
    assert main(["judge", "--compare", str(eval_dir), "-j", "refusal"]) == 2


@pytest.mark.parametrize(
    "a, b, kappa",
    [
        ([1, 1, 0, 0], [1, 1, 0, 0], 1.0),
        ([1, 0, 1, 0], [0, 1, 0, 1], -1.0),
        # observed 0.75; expected 0.5 * 0.75 + 0.5 * 0.25 = 0.5 -> (0.75 - 0.5) / 0.5
        ([1, 1, 0, 0], [1, 1, 1, 0], 0.5),
    ],
)
def test_cohen_kappa_by_hand(a, b, kappa):
    assert cohen_kappa(a, b) == pytest.approx(kappa)
