"""The gold-set tools: candidates read from a run's own outputs, labels merged and appended."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _sample(i: int, suite: str) -> dict:
    return {
        "id": f"src/p{i}", "suite": suite, "prompt": f"prompt {i}", "kind": "harmful",
        "category": "cyber", "source": "src", "attack": None, "reasoning": "step",
        "answer": f"answer {i}", "forced": False,
        "judges": {"refusal": {"answer": {"label": "refusal"}}},
    }  # fmt: skip


def _script(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout


def test_from_run_reads_eval_samples_and_train_side_rollouts(tmp_path):
    run = tmp_path / "run-a"
    _write(run / "eval/rw/samples/harmful.jsonl", [_sample(i, "harmful") for i in range(5)])
    _write(run / "pref/opcot/rollouts.jsonl", [
        {"prompt_id": "rit/x", "kind": "harmful", "prompt": "p", "forced": False,
         "response": "<think>\nplan\n</think>\n\nI won't help."}
        for _ in range(2)
    ])  # fmt: skip
    out = tmp_path / "c.jsonl"
    _script("scripts/gold/from_run.py", "--run", str(run), "--out", str(out),
            "--models", "rw", "--per-suite", "3")  # fmt: skip
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 3 and {r["part"] for r in rows} == {"recheck"}
    assert {r["run"] for r in rows} == {"run-a"} and rows[0]["judge_refusal"] == "refusal"
    train = tmp_path / "t.jsonl"
    _script("scripts/gold/from_run.py", "--run", str(run), "--out", str(train), "--train-side")
    trows = [json.loads(x) for x in train.read_text().splitlines()]
    # two samples of one prompt get their own ids; the answer is split from the reasoning
    assert [r["id"] for r in trows] == ["rit/x#s1", "rit/x#s2"]
    assert trows[0]["answer"] == "I won't help." and trows[0]["part"] == "train"


def test_merge_appends_new_labelled_rows_once(tmp_path):
    run = tmp_path / "run-b"
    _write(run / "eval/rw/samples/harmful.jsonl", [_sample(i, "harmful") for i in range(2)])
    cand = tmp_path / "c.jsonl"
    _script("scripts/gold/from_run.py", "--run", str(run), "--out", str(cand), "--models", "rw")
    sys.path.insert(0, str(ROOT / "scripts/gold"))
    from merge import gold_id

    rows = [json.loads(x) for x in cand.read_text().splitlines()]
    labels = tmp_path / "labels.jsonl"
    _write(labels, [{"gold_id": gold_id(r), "label": "refusal", "note": ""} for r in rows])
    gold = tmp_path / "gold.jsonl"
    _write(gold, [{"gold_id": "gold-old", "label": "junk"}])
    for _ in range(2):  # a second merge of the same labels adds nothing
        _script("scripts/gold/merge.py", "--candidates", str(cand), "--labels", str(labels),
                "--labeller", "llm-reader:test", "--out", str(gold), "--append")  # fmt: skip
    got = [json.loads(x) for x in gold.read_text().splitlines()]
    assert [g["gold_id"] for g in got][0] == "gold-old" and len(got) == 3
    assert all(g["run"] == "run-b" for g in got[1:])


def test_blind_batches_hide_the_model_and_skip_answers_already_labelled(tmp_path):
    run = tmp_path / "run-c"
    samples = [_sample(i, "harmful") for i in range(6)] + [_sample(0, "harmful")]  # a repeat
    _write(run / "eval/rw/samples/harmful.jsonl", samples)
    cand = tmp_path / "c.jsonl"
    _script("scripts/gold/from_run.py", "--run", str(run), "--out", str(cand), "--models", "rw")
    gold = tmp_path / "gold.jsonl"  # a reader already labelled answer 1
    _write(gold, [{"prompt": "prompt 1", "answer": "answer 1", "label": "refusal"}])
    out = tmp_path / "blind"
    _script("scripts/gold/blind.py", "--candidates", str(cand), "--out", str(out),
            "--batches", "2", "--gold", str(gold))  # fmt: skip
    rows = [json.loads(x) for f in sorted(out.glob("batch*.jsonl"))
            for x in f.read_text().splitlines()]  # fmt: skip
    assert sorted(r["answer"] for r in rows) == [f"answer {i}" for i in (0, 2, 3, 4, 5)]
    assert all(set(r) == {"gold_id", "prompt", "reasoning", "answer", "forced"} for r in rows)


def test_blind_batches_leave_out_answers_other_readers_are_reading(tmp_path):
    # two models often give the same answer: batches made while another model's batches are out
    # leave those answers to their readers, so no answer gets two (possibly different) labels
    run = tmp_path / "run-d"
    _write(run / "eval/rw/samples/harmful.jsonl", [_sample(i, "harmful") for i in range(4)])
    cand = tmp_path / "c.jsonl"
    _script("scripts/gold/from_run.py", "--run", str(run), "--out", str(cand), "--models", "rw")
    reading = tmp_path / "other.jsonl"
    _write(reading, [{"prompt": "prompt 2", "answer": "answer 2", "model": "saro"}])
    out = tmp_path / "blind"
    _script("scripts/gold/blind.py", "--candidates", str(cand), "--out", str(out),
            "--gold", str(tmp_path / "none.jsonl"), "--reading", str(reading))  # fmt: skip
    rows = [json.loads(x) for f in sorted(out.glob("batch*.jsonl"))
            for x in f.read_text().splitlines()]  # fmt: skip
    assert sorted(r["answer"] for r in rows) == ["answer 0", "answer 1", "answer 3"]
