"""A generation run killed with SIGKILL resumes from the cache: complete, no duplicates, no redo."""

import json
import os
import signal
import subprocess
import sys
import time

SCRIPT = r"""
import sys, time
from saro.engines import register_engine
from saro.engines.mock import MockEngine

class SlowMock(MockEngine):
    name = "slowmock"
    def _run(self, jobs, params, on_done, *, progress):
        def logged(i, completion):
            with open(sys.argv[1], "a") as log:
                log.write(f"{jobs[i].request.messages[-1]['content']}#{jobs[i].index}\n")
            on_done(i, completion)
        for i, job in enumerate(jobs):
            time.sleep(0.05)
            super()._run([job], params, lambda _, c, i=i: logged(i, c), progress=False)

register_engine("slowmock")(lambda **o: SlowMock(script=lambda r, k: f"reply {k}", **o))
from saro.cli import main
sys.exit(main(["generate", "--engine", "slowmock", "--source", sys.argv[2], "--kind", "benign",
               "--n", "2", "--temperature", "0.7", "--out", sys.argv[3]]))
"""


def test_sigkill_midway_then_rerun_completes_without_redoing(tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"text": f"question {i}"}) + "\n" for i in range(20)))
    log, out = tmp_path / "ran.log", tmp_path / "out.jsonl"
    env = {**os.environ, "SARO_CACHE": str(tmp_path / "cache")}
    args = [sys.executable, "-c", SCRIPT, str(log), f"{prompts}:text", str(out)]

    proc = subprocess.Popen(args, env=env)
    deadline = time.time() + 60
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 12):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first_run = log.read_text().splitlines()
    assert 12 <= len(first_run) < 40, "the kill must land midway"
    assert not out.exists()

    subprocess.run(args, env=env, check=True, timeout=120)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    keys = [(r["prompt_id"], r["sample"]) for r in records]
    assert len(records) == 40 and len(set(keys)) == 40
    second_run = log.read_text().splitlines()[len(first_run) :]
    # every job finished before the kill came from the cache; at most the one in flight is redone
    assert len(set(first_run) & set(second_run)) <= 1
    assert len(second_run) <= 40 - len(first_run) + 1
    assert sum(r["cached"] for r in records) >= len(first_run) - 1
