"""Budget forcing: every response ends with an answer; the answer has its own budget."""

from __future__ import annotations

import pytest

from saro.engines import ChatRequest, GenerationCache
from saro.engines.forcing import Budget, generate_with_budget, reasoning_state
from saro.engines.mock import MockEngine
from saro.errors import SaroError
from saro.reasoning import parse

RAMBLE = "<think>\n" + " ".join(f"thought{i}" for i in range(200))  # never closes
ANSWER = "I can't help with that, but here is a safe alternative."


def never_closes(request, index):
    """A model whose reasoning goes on forever; after a forced close it answers."""
    return ANSWER if "</think>" in request.prefill else RAMBLE


def test_a_model_that_never_closes_its_reasoning_gets_a_forced_answer(tmp_path):
    engine = MockEngine(never_closes, cache=GenerationCache(tmp_path / "c.jsonl"))
    [[c]] = generate_with_budget(engine, [ChatRequest.user("q?")], Budget(reasoning=20, answer=30))
    parsed = parse(c.text)
    assert c.forced and parsed.answer == ANSWER
    assert parsed.reasoning.split()[-1] == "thought18"  # the reasoning was cut at its budget
    assert c.completion_tokens == 20 + len(ANSWER.split())
    again = generate_with_budget(engine, [ChatRequest.user("q?")], Budget(20, 30))[0][0]
    assert again.cached and again.text == c.text and again.forced  # both passes were cached


def test_a_finished_response_is_left_alone():
    done = "<think>\nShort.\n</think>\n\nHere is the answer."
    engine = MockEngine({"*": done})
    [[c]] = generate_with_budget(engine, [ChatRequest.user("q?")], Budget(50, 50))
    assert c.text == done and not c.forced and len(engine.calls) == 1


def test_a_cut_answer_is_continued_up_to_the_answer_budget_not_forced():
    closed = "<think>\nA step.\n</think>\n\n" + " ".join(f"w{i}" for i in range(40))

    def script(request, index):
        if request.prefill:  # the continuation of the cut answer
            return " ".join(f"more{i}" for i in range(100))
        return closed

    engine = MockEngine(script)  # its tokens are words
    [[c]] = generate_with_budget(engine, [ChatRequest.user("q?")], Budget(reasoning=20, answer=25))
    # the mock drops the leading space a real tokenizer keeps on a continuation
    answer = parse(c.text).answer.replace("more", " more").split()
    assert not c.forced and c.finish_reason == "length"
    assert len(answer) == 25  # 16 answer words from the first pass + 9 more: its own budget
    assert answer[15:17] == ["w15", "more0"]


def test_an_answer_without_reasoning_counts_all_of_its_tokens_as_answer():
    plain = " ".join(f"w{i}" for i in range(100))
    engine = MockEngine({"*": plain})
    [[c]] = generate_with_budget(engine, [ChatRequest.user("q?")], Budget(reasoning=30, answer=20))
    assert not c.forced and len(c.text.split()) == 30  # already past its answer budget: no more
    assert len(engine.calls) == 1


def test_samples_keep_their_own_forced_answers():
    engine = MockEngine(never_closes)
    [comps] = generate_with_budget(engine, [ChatRequest.user("q?")], Budget(5, 10), n=3, seed=4)
    assert [c.index for c in comps] == [0, 1, 2] and all(c.forced for c in comps)


@pytest.mark.parametrize(
    ("text", "state"),
    [("<think>\na", "open"), ("  <think>\na\n</think>\n\nb", "closed"), ("plain", "none")],
)
def test_reasoning_state(text, state):
    assert reasoning_state(text) == state


def test_budgets_must_be_positive():
    with pytest.raises(SaroError, match="positive"):
        Budget(reasoning=0, answer=10)


def test_an_evaluation_with_budgets_forces_answers_and_reports_the_forced_share(tmp_path):
    from saro.evaluate import evaluate
    from saro.store import read_jsonl

    engine = MockEngine(never_closes, cache=GenerationCache(tmp_path / "c.jsonl"))
    metrics = evaluate(engine, ["harmful", "overrefusal"], tmp_path / "ev", limit=3,
                       budget=Budget(reasoning=12, answer=40), progress=False)  # fmt: skip
    for suite in ("harmful", "overrefusal"):
        records = list(read_jsonl(tmp_path / "ev" / "samples" / f"{suite}.jsonl"))
        assert all(r["forced"] and r["answer"] == ANSWER for r in records)
        assert metrics["suites"][suite]["forced_rate"] == 1.0
        assert metrics["suites"][suite]["no_answer_rate"] == 0.0
    assert metrics["suites"]["harmful"]["value"] == 0.0  # every forced answer declines


def test_without_budgets_the_same_model_leaves_no_answer(tmp_path):
    from saro.evaluate import evaluate

    engine = MockEngine(never_closes)
    metrics = evaluate(engine, ["harmful"], tmp_path / "ev", limit=3, max_new_tokens=12,
                       progress=False)  # fmt: skip
    assert metrics["suites"]["harmful"]["no_answer_rate"] == 1.0
    assert metrics["suites"]["harmful"]["forced_rate"] == 0.0


def test_rollouts_with_budgets_are_forced_to_an_answer_and_say_so():
    from saro.datagen.accept import Acceptor
    from saro.datagen.preference.config import SamplingConfig
    from saro.datagen.preference.opcot import rollout_record
    from saro.datagen.preference.rollouts import sample_rollouts
    from saro.policy import Policy
    from saro.records import Prompt

    prompts = [Prompt(id=f"p{i}", text=f"benign question {i}?", kind="benign") for i in range(2)]
    cfg = SamplingConfig(n=2, max_reasoning_tokens=10, max_answer_tokens=30)
    rollouts = sample_rollouts(MockEngine(never_closes), prompts, cfg,
                               Acceptor(Policy.load().ids), progress=False)  # fmt: skip
    assert len(rollouts) == 4 and all(rollout_record(r)["forced"] for r in rollouts)
    assert all(parse(r.text).answer == ANSWER for r in rollouts)


def test_one_budget_without_the_other_is_refused():
    from saro.engines.forcing import budget_of

    assert budget_of(None, None) is None
    with pytest.raises(SaroError, match="needs both"):
        budget_of(100, None)
