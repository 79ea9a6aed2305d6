"""``evaluate``, ``saro eval`` and ``saro compare`` with scripted engines."""

from __future__ import annotations

import json

import pytest

from saro.cli import main
from saro.engines import GenerationCache
from saro.engines.mock import MockEngine
from saro.errors import SaroError
from saro.evaluate import compare_dirs, evaluate
from saro.judges import make_judge
from saro.judges.base import Judge
from saro.store import read_jsonl

PAYLOAD = "Sure, here is how: SECRET-PAYLOAD step 1 gather the materials, step 2 combine them."
REFUSE = "I'm sorry, but I can't help with that request."


def mixed(request, index):
    """Comply with every other prompt (by text length), refuse the rest; math gets 42."""
    text = request.messages[-1]["content"]
    if "Answer with the letter" in text:
        return "The answer is A."
    return PAYLOAD if len(text) % 2 else REFUSE


def mock(tmp_path, script=mixed, name="m"):
    return MockEngine(script, model=name, cache=GenerationCache(tmp_path / f"cache-{name}.jsonl"))


SAMPLE_FIELDS = {
    "id", "prompt", "attack", "response", "reasoning", "answer", "answer_tokens",
    "reasoning_tokens", "completion_tokens", "finish_reason", "judges",
}  # fmt: skip


def test_evaluate_writes_samples_metrics_and_results(tmp_path):
    out = tmp_path / "ev"
    suites = ["jailbreak", "harmful", "overrefusal", "gsm8k", "arc_easy_gen"]
    metrics = evaluate(mock(tmp_path), suites, out, limit=4, progress=False)
    assert metrics["schema_version"] == 2 and list(metrics["suites"]) == suites
    for name in suites:
        samples = list(read_jsonl(out / "samples" / f"{name}.jsonl"))
        assert len(samples) == 4
        assert set(samples[0]) >= SAMPLE_FIELDS
        entry = metrics["suites"][name]
        assert entry["n"] == 4 and entry["value"] is not None
        for key in ("ci95", "mean_answer_tokens", "mean_reasoning_tokens", "seconds"):
            assert key in entry
    jb = metrics["suites"]["jailbreak"]
    samples = list(read_jsonl(out / "samples" / "jailbreak.jsonl"))
    assert all(s["attack"] and s["attack_kind"] for s in samples)
    want = sum("SECRET" in s["response"] for s in samples) / 4
    assert jb["asr"] == pytest.approx(want)
    assert set(jb["breakdown"]["attack_kind"]) == {"template", "transform"}
    assert metrics["suites"]["arc_easy_gen"]["judge"] == "choice"
    assert json.loads((out / "metrics.json").read_text()) == metrics
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["judges"] == ["refusal"] and set(cfg["suites"]) == set(suites)
    results = (out / "results.md").read_text()
    assert "| jailbreak | asr |" in results and "SECRET" not in results


def test_rerun_regenerates_nothing_and_adds_suites_to_the_same_dir(tmp_path):
    out = tmp_path / "ev"
    evaluate(mock(tmp_path), ["harmful"], out, limit=3, progress=False)
    again = mock(tmp_path)  # a fresh engine on the same cache file
    metrics = evaluate(again, ["harmful", "overrefusal"], out, limit=3, progress=False)
    assert len(again.calls) == 3  # only the new suite was generated
    assert set(metrics["suites"]) == {"harmful", "overrefusal"}
    samples = list(read_jsonl(out / "samples" / "harmful.jsonl"))
    assert all(s["cached"] for s in samples)


def test_unfinished_reasoning_is_no_answer_and_its_tokens_are_reasoning(tmp_path):
    cut = "<think>The user wants step 1 gather the materials then step 2 combine them and"
    metrics = evaluate(mock(tmp_path, lambda r, i: cut), ["harmful"], tmp_path / "ev", limit=3,
                       progress=False)  # fmt: skip
    m = metrics["suites"]["harmful"]
    assert m["asr"] == 0.0 and m["no_answer_rate"] == 1.0 and m["asr_answered"] is None
    assert m["mean_answer_tokens"] == 0 and m["mean_reasoning_tokens"] > 0
    assert m["n_reasoning"] == 3 and m["reasoning_harm_rate"] is not None


class CountingJudge(Judge):
    """Flags every answer unsafe; counts items; fails on demand."""

    def __init__(self, name="count", fail=False):
        self.name = self.spec = name
        self.fail = fail
        self.seen = 0

    def score(self, items):
        if self.fail:
            raise SaroError("The judge endpoint http://127.0.0.1:9 refused the connection.")
        self.seen += len(items)
        return [{"unsafe": True, "refusal": False, "score": 1.0} for _ in items]


def test_a_failing_judge_keeps_samples_and_earlier_verdicts(tmp_path):
    out = tmp_path / "ev"
    first = CountingJudge("first")
    with pytest.raises(SaroError, match="kept in .*harmful.jsonl") as err:
        evaluate(mock(tmp_path), ["harmful"], out, limit=3, progress=False,
                 judges=[first, CountingJudge("llm", fail=True)])  # fmt: skip
    assert "'llm' judge failed on suite 'harmful'" in str(err.value)
    samples = list(read_jsonl(out / "samples" / "harmful.jsonl"))
    assert len(samples) == 3 and all("first" in s["judges"] for s in samples)
    # rerun with the endpoint back: no regeneration, and the first judge's verdicts are reused
    again, first_again = mock(tmp_path), CountingJudge("first")
    metrics = evaluate(again, ["harmful"], out, limit=3, progress=False,
                       judges=[first_again, CountingJudge("llm")])  # fmt: skip
    assert again.calls == [] and first_again.seen == 0
    assert set(metrics["suites"]["harmful"]["by_judge"]) == {"first", "llm"}


def test_user_prompt_files_benign_and_harmful(tmp_path):
    benign = tmp_path / "mine.jsonl"
    benign.write_text("\n".join(json.dumps({"question": q}) for q in ("How do locks work?", "Hi")))
    from saro.evaluate import file_suite

    m = evaluate(mock(tmp_path, lambda r, i: REFUSE), [file_suite(f"{benign}:question", "benign")],
                 tmp_path / "ev", progress=False)  # fmt: skip
    assert m["suites"]["file-mine"]["metric"] == "refusal_rate"
    assert m["suites"]["file-mine"]["value"] == 1.0 and m["suites"]["file-mine"]["n"] == 2
    m = evaluate(mock(tmp_path, lambda r, i: REFUSE), [file_suite(f"{benign}:question", "harmful")],
                 tmp_path / "ev2", progress=False)  # fmt: skip
    assert m["suites"]["file-mine"]["metric"] == "asr" and m["suites"]["file-mine"]["value"] == 0


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def cli_engine(tmp_path, monkeypatch):
    eng = mock(tmp_path)
    monkeypatch.setattr("saro.evaluate.runner._engine", lambda model, engine, opts: eng)
    return eng


def run(capsys, *args):
    code = main(list(map(str, args)))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_eval_prints_metrics_never_completions(tmp_path, cli_engine, capsys):
    code, out, err = run(capsys, "eval", "--suites", "harmful,jailbreak", "--limit", 4,
                         "--out", tmp_path / "ev", "-q")  # fmt: skip
    assert code == 0, err
    assert "harmful" in out and "asr" in out
    assert "SECRET" not in out + err
    assert (tmp_path / "ev" / "results.md").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--suites", "jailbrek"], "Did you mean 'jailbreak'"),
        (["--suites", "harmful", "--judge", "refusall"], "Unknown judge 'refusall'"),
        (["--prompts", "PROMPTS", "--kind", "benign"], "neither a 'text' nor a 'prompt' field"),
        (["--prompts", "PROMPTS", "--kind", "toxic"], "Unknown prompt kind for --prompts"),
        (["--prompts", "PROMPTS"], "--prompts needs --kind"),
        (["--suites", "harmful", "--judge", "math"], "'math' is a task judge"),
    ],
)
def test_cli_bad_input_exits_2_with_one_message(tmp_path, cli_engine, capsys, args, message):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"question": "How do locks work?"}) + "\n")
    args = [str(prompts) if a == "PROMPTS" else a for a in args]
    code, out, err = run(capsys, "eval", *args, "--out", tmp_path / "ev", "-q")
    assert code == 2
    assert message in " ".join(err.split()) and "Traceback" not in err
    assert cli_engine.calls == []


def test_cli_old_schema_dir_is_refused_unless_forced(tmp_path, cli_engine, capsys):
    out = tmp_path / "ev"
    out.mkdir()
    (out / "metrics.json").write_text(json.dumps({"schema_version": 0, "suites": {}}))
    code, _, err = run(capsys, "eval", "--suites", "harmful", "--limit", 2, "--out", out, "-q")
    assert code == 2 and "schema 0" in " ".join(err.split()) and "--force" in err
    code, _, err = run(capsys, "eval", "--suites", "harmful", "--limit", 2, "--out", out, "-q",
                       "--force")  # fmt: skip
    assert code == 0, err
    code, _, err = run(capsys, "compare", out, tmp_path)
    assert code == 2 and "not an eval directory" in " ".join(err.split())


def test_compare_pairs_prompts_and_tests_them(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    evaluate(mock(tmp_path, lambda r, i: PAYLOAD, "a"), ["harmful", "gsm8k"], a, limit=8,
             progress=False)  # fmt: skip
    evaluate(mock(tmp_path, lambda r, i: REFUSE, "b"), ["harmful", "gsm8k"], b, limit=8,
             progress=False)  # fmt: skip
    result = compare_dirs([a, b])
    cell = result["suites"]["harmful"]["cells"][1]
    assert result["suites"]["harmful"]["cells"][0]["value"] == 1.0 and cell["value"] == 0.0
    assert cell["delta"] == -1.0
    assert cell["test"] == {"n_pairs": 8, "b": 8, "c": 0, "p": pytest.approx(2 / 256)}
    assert result["suites"]["gsm8k"]["cells"][1]["test"]["p"] == 1.0
    code, out, err = run(capsys, "compare", a, b, "--out", tmp_path / "cmp.md")
    assert code == 0, err
    md = (tmp_path / "cmp.md").read_text()
    assert "| harmful | asr | 100.0" in md and "-100.0" in md and "0.00781" in md


def test_make_judge_errors_come_before_any_generation(tmp_path):
    eng = mock(tmp_path)
    with pytest.raises(SaroError, match="Unknown judge"):
        evaluate(eng, ["harmful"], tmp_path / "ev", judges=["nope"], progress=False)
    assert eng.calls == []
    assert make_judge("refusal").name == "refusal"


class BatchCounting(MockEngine):
    """Records the size of every generate call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []

    def generate(self, requests, **kwargs):
        self.batches.append(len(requests))
        return super().generate(requests, **kwargs)


def test_all_generating_suites_go_to_the_engine_as_one_batch(tmp_path):
    eng = BatchCounting(mixed, model="m")
    suites = ["jailbreak", "harmful", "overrefusal"]
    metrics = evaluate(eng, suites, tmp_path / "ev", limit=3, progress=False)
    assert eng.batches == [9]  # three suites, 3 prompts each, one call
    one_by_one = tmp_path / "single"
    for name in ("jailbreak", "harmful", "overrefusal"):
        single = evaluate(MockEngine(mixed, model="m"), [name], one_by_one, limit=3, progress=False)
        assert single["suites"][name]["value"] == metrics["suites"][name]["value"]
        a = [s["response"] for s in read_jsonl(tmp_path / "ev" / "samples" / f"{name}.jsonl")]
        b = [s["response"] for s in read_jsonl(one_by_one / "samples" / f"{name}.jsonl")]
        assert a == b


def test_per_suite_limits_override_the_common_limit(tmp_path):
    metrics = evaluate(
        mock(tmp_path), ["harmful", "overrefusal"], tmp_path / "ev", limit=4,
        limits={"overrefusal": 2}, progress=False,
    )  # fmt: skip
    assert metrics["suites"]["harmful"]["n"] == 4 and metrics["suites"]["overrefusal"]["n"] == 2
    with pytest.raises(SaroError, match="gsm8k"):
        evaluate(mock(tmp_path), ["harmful"], tmp_path / "x", limits={"gsm8k": 2}, progress=False)


def test_an_eval_dir_of_another_split_seed_is_not_mixed_into(tmp_path):
    out = tmp_path / "ev"
    evaluate(mock(tmp_path), ["harmful"], out, limit=2, progress=False)
    with pytest.raises(SaroError, match="drawn with split seed 0, not 1"):
        evaluate(mock(tmp_path), ["overrefusal"], out, limit=2, split_seed=1, progress=False)
    metrics = evaluate(mock(tmp_path), ["overrefusal"], out, limit=2, split_seed=1, force=True,
                       progress=False)  # fmt: skip
    assert set(metrics["suites"]) == {"overrefusal"}
    assert json.loads((out / "config.json").read_text())["split_seed"] == 1


def test_safety_samples_carry_their_policy_category_and_metrics_split_by_it(tmp_path):
    from saro.policy import Policy

    metrics = evaluate(mock(tmp_path), ["harmful"], tmp_path / "ev", limit=6, progress=False)
    records = list(read_jsonl(tmp_path / "ev" / "samples" / "harmful.jsonl"))
    ids = set(Policy.load().ids)
    assert all(r["policy_category"] in ids or r["policy_category"] is None for r in records)
    assert any(r["policy_category"] for r in records)
    groups = metrics["suites"]["harmful"]["breakdown"].get("policy_category", {})
    assert len(groups) >= 2 and sum(g["n"] for g in groups.values()) == 6
