"""The whole ``saro run`` chain over the real stages (``saro.pipeline.stages.STAGES``), fast.

Every stage runs its real code: the prompt and attack splits, RIT-D from the seed set, SFT and
DPO training, OP-COT / PP-COT / direct pairs judged by the real offline judges, evaluation,
the analyses and the report. Two things are small stand-ins:

* the model is a tiny random 2-layer Llama (``tests/tiny_models.py``), which is also the RIT-D
  tokenizer, trained for a step or two;
* generation is scripted: ``saro.engines.factory.build_engine`` (which every stage calls) returns
  a :class:`~saro.engines.mock.MockEngine` with a generation cache in a temporary folder. Its
  script gives each prompt one safe and one unsafe sample (sample index + prompt hash decide
  which), so every prompt of every kind has a chosen and a rejected side; trained models answer
  in the reasoning format, the base model plainly; a PP-COT continuation after a reflection
  turns the rollout's outcome around. Harmful-prompt "compliances" are placeholders, never real
  harmful text.

One finished run is shared by the checks of what the chain writes; a second run, killed in the
middle of SaRO's training, checks that the chain resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import zlib
from pathlib import Path

import pytest
from transformers import TrainerCallback

from saro.engines.base import ChatRequest
from saro.engines.factory import open_cache
from saro.engines.mock import MockEngine
from saro.pipeline.config import load_run_config
from saro.pipeline.roster import ROSTER
from saro.pipeline.runner import run_pipeline
from saro.pipeline.stages import STAGES, Stage
from saro.reasoning import render
from saro.store import read_jsonl
from tiny_models import build_tiny_llama

REFUSAL = "I can't help with that. If you need support, I can point you to safe resources."
COMPLIANCE = "Sure, here is a general overview: [synthetic placeholder, no real content]."
SAFE_STEPS = [
    "The request asks for something that falls under [crime].",
    "Answering would enable real harm, so I will decline and offer safe help instead.",
]
UNSAFE_STEPS = [
    "The user wants the information.",
    "I will give it in full without checking anything.",
]
PLACEHOLDER = " [synthetic placeholder continuation]."

CONFIG = """\
base_model: {base}
seed: 0
arms: [base, safety_sft, sft_dpo, direct_dpo, rw, saro, saro_op]   # every arm, ablation too
rit:
  teacher: {{engine: seed}}
  kinds: [harmful, jailbreak, benign]
  limit_per_kind: 2
  tokenizer: {base}
train:
  rw: {sft}
  safety_sft: {sft}
  saro: {{max_steps: 2, per_device_train_batch_size: 2, learning_rate: 1.0e-3, max_length: 512,
          save_strategy: steps, save_steps: 1, save_total_limit: 1, eval_fraction: 0.25,
          eval_strategy: steps, eval_steps: 2, disable_tqdm: true}}
  direct_dpo: {{max_steps: 1, per_device_train_batch_size: 2, learning_rate: 1.0e-3,
                max_length: 512, save_strategy: "no", disable_tqdm: true}}
  saro_op: {{max_steps: 1, per_device_train_batch_size: 2, learning_rate: 1.0e-3,
             max_length: 512, save_strategy: "no", disable_tqdm: true}}
  sft_dpo: {{max_steps: 1, per_device_train_batch_size: 2, learning_rate: 1.0e-3,
             max_length: 512, save_strategy: "no", disable_tqdm: true}}
pref:
  prompts:
    harmful: {{source: rit, limit: 2}}
    jailbreak: {{source: rit, limit: 2}}
    benign: {{source: rit, limit: 2}}
  sampling: {{engine: hf, n: 2, temperature: 0.8, max_new_tokens: 64, max_samples: 100}}
  ppcot: {{steps: sampled, max_steps: 2, chosen_samples: 1, kinds: [harmful, jailbreak, benign]}}
direct:
  kinds: [harmful, jailbreak, benign]
  n: 2
  max_new_tokens: 64
control:
  kinds: [harmful, jailbreak, benign]
  n: 2
  max_new_tokens: 64
eval:
  suites: [jailbreak, harmful, overrefusal, gsm8k]
  limit: 2
  max_new_tokens: 64
  judges: [refusal]
analysis:
  embeddings: false
"""
SFT = (
    "{max_steps: 1, per_device_train_batch_size: 2, learning_rate: 1.0e-3, max_length: 512, "
    'save_strategy: "no", disable_tqdm: true}'
)


def script_for(model: str):
    """The scripted model behind ``model``: the base answers plainly, trained arms reason."""
    plain = Path(model).parent.name != "models"

    def reply(request: ChatRequest, index: int) -> str:
        if request.prefill:
            return continuation(request.prefill)
        prompt = request.messages[-1]["content"]
        safe = (index + zlib.crc32(prompt.encode())) % 2 == 0
        answer = REFUSAL if safe else COMPLIANCE
        return answer if plain else render(SAFE_STEPS if safe else UNSAFE_STEPS, answer)

    return reply


def continuation(prefill: str) -> str:
    """Continue a prefilled assistant turn.

    A PP-COT prefix (an open reasoning block ending in a reflection step) is closed and answered
    the other way round from the rollout it was cut from: a complying rollout (harmful prompt)
    now refuses, an over-refusing one (benign prompt) now helps. A prefilled opening (OP-COT or
    direct rejected sides) is continued with a placeholder.
    """
    if prefill.startswith("<think>") and "</think>" not in prefill:
        return "\n</think>\n\n" + (REFUSAL if UNSAFE_STEPS[0] in prefill else COMPLIANCE)
    return PLACEHOLDER


class ScriptedEngines:
    """Stands in for ``build_engine``: a scripted MockEngine per call, cached like the real one."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir
        self.built: list[MockEngine] = []

    def __call__(self, name: str, model: str, **options) -> MockEngine:
        engine = MockEngine(script_for(model), model=str(model))
        digest = hashlib.sha256(engine.identity().encode()).hexdigest()[:16]
        open_cache(engine, self.cache_dir / f"mock-{digest}.jsonl")
        self.built.append(engine)
        return engine


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """Every stage's engine is a scripted one for the whole module."""
    fake = ScriptedEngines(tmp_path_factory.mktemp("generations"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("saro.engines.factory.build_engine", fake)
        yield fake


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    """A run config on a tiny random model: one or two training steps, two prompts per kind."""
    root = tmp_path_factory.mktemp("chain")
    base = build_tiny_llama(root / "base")
    path = root / "run.yaml"
    path.write_text(CONFIG.format(base=base, sft=SFT))
    return load_run_config(path)


@pytest.fixture(scope="module")
def finished(cfg, engines, tmp_path_factory):
    """One run of every stage, start to finish: ``(run_dir, echoed lines)``."""
    out = tmp_path_factory.mktemp("finished") / "run"
    lines: list[str] = []
    run_pipeline(cfg, out, echo=lines.append, progress=False)
    return out, lines


def stage_status(run_dir: Path) -> dict[str, str]:
    state = json.loads((run_dir / "run.json").read_text())
    return {name: s["status"] for name, s in state["stages"].items()}


def missing_files(run_dir: Path) -> list[str]:
    return [f for s in STAGES for f in s.writes if not (run_dir / f).exists()]


def test_every_stage_runs_once_and_writes_every_file_it_declares(finished, engines):
    """Every stage of the real chain runs once, in order, and is marked done in run.json; every
    file a stage declares exists; each preference builder made pairs of its kind; PP-COT took its
    rollouts from the generation cache OP-COT filled (it only generated the continuations)."""
    run, lines = finished
    names = [s.name for s in STAGES]
    assert [line.split()[2].rstrip(":") for line in lines if line.startswith("[run ]")] == names
    assert stage_status(run) == dict.fromkeys(names, "done")
    assert missing_files(run) == []

    for which in ("opcot", "ppcot", "direct", "control"):
        card = json.loads((run / "pref" / which / "card.json").read_text())
        pairs = list(read_jsonl(run / "pref" / which / "pairs.jsonl"))
        assert card["pairs"] == len(pairs) > 0, which
    opcot = list(read_jsonl(run / "pref" / "opcot" / "pairs.jsonl"))
    assert {p["kind"] for p in opcot} == {"harmful", "jailbreak", "benign"}
    assert {(p["origin_chosen"], p["origin_rejected"]) for p in opcot} == {("onpolicy", "onpolicy")}
    ppcot = list(read_jsonl(run / "pref" / "ppcot" / "pairs.jsonl"))
    assert all(p["level"] == "process" and p["chosen"] != p["rejected"] for p in ppcot)
    direct = list(read_jsonl(run / "pref" / "direct" / "pairs.jsonl"))
    assert all(
        "<think>" not in p[side][0]["content"] for p in direct for side in ("chosen", "rejected")
    )

    control = list(read_jsonl(run / "pref" / "control" / "pairs.jsonl"))
    sft = [e for e in engines.built if e.model == str(run / "models" / "safety_sft")]
    assert sft and control  # the control arm's pairs come from the Safety-SFT model itself

    rw = [e for e in engines.built if e.model == str(run / "models" / "rw")]
    opcot_engine, ppcot_engine = rw[0], rw[1]
    assert opcot_engine.calls and all(not j.request.prefill for j in opcot_engine.calls)
    assert ppcot_engine.calls and all(j.request.prefill for j in ppcot_engine.calls)

    for a in ROSTER:
        metrics = json.loads((run / "eval" / a.key / "metrics.json").read_text())
        assert set(metrics["suites"]) == {"jailbreak", "harmful", "overrefusal", "gsm8k"}
        if a.trained:
            trained = json.loads((run / "models" / a.key / "run.json").read_text())
            assert trained["status"] == "done" and trained["stage"] == a.stage
            assert trained["train_tokens"] > 0


def test_the_report_shows_results_analyses_and_every_dataset_card(finished):
    """report.md has the main table with every model, the verdict, effect measures, analyses,
    examples, the run's stages, and the RIT-D, OP-COT, PP-COT and direct-pairs cards."""
    run, _ = finished
    md = (run / "report.md").read_text()
    for heading in ("## Main results", "### Verdict", "## Effect measures", "## Analyses",
                    "## Example responses", "## Dataset cards", "## Run"):  # fmt: skip
        assert heading in md, heading
    assert "No evaluation results are available" not in md
    assert "Not evaluated in this run" not in md
    for a in ROSTER:
        assert f"| {a.display} |" in md
    for title, card in (("RIT-D", "# RIT-D dataset card"),
                        ("OP-COT pairs", "# OP-COT dataset card"),
                        ("PP-COT pairs", "# PP-COT dataset card"),
                        ("Direct pairs", "# Direct pairs dataset card"),
                        ("Safety-SFT→DPO pairs (control)",
                         "# Safety-SFT→DPO pairs (control) dataset card")):  # fmt: skip
        assert f"<summary>{title}</summary>" in md and card in md, title
    assert "No dataset cards found" not in md
    for s in STAGES[:-1]:  # the report is written while its own stage is still running
        assert f"| {s.name} | done |" in md
    assert (run / "report.html").read_text().startswith("<!")


class KillAtFirstCheckpoint(TrainerCallback):
    def on_save(self, args, state, control, **kwargs):
        raise KeyboardInterrupt  # like a kill: no final save, run.json stays 'running'


def counted(calls: list[str]) -> tuple[Stage, ...]:
    """The real stages, each logging its name to ``calls`` when it runs."""

    def wrap(stage: Stage) -> Stage:
        def run(r):
            calls.append(stage.name)
            return stage.run(r)

        return dataclasses.replace(stage, run=run)

    return tuple(wrap(s) for s in STAGES)


def test_a_run_killed_in_training_resumes_where_it_stopped(cfg, engines, tmp_path, monkeypatch):
    """Killed after SaRO's first training checkpoint, run.json shows train_saro running and every
    earlier stage done. Run again, the finished stages are skipped (not rerun), SaRO's training
    continues from its checkpoint (no step twice), and the chain finishes with every file."""
    from saro.train import dpo

    real_main, killed = dpo.main, []

    def main_killed_once(config, *, callbacks=None):
        if config.stage == "srpo" and not killed:
            killed.append(config.output_dir)
            callbacks = [*(callbacks or []), KillAtFirstCheckpoint()]
        return real_main(config, callbacks=callbacks)

    monkeypatch.setattr(dpo, "main", main_killed_once)
    out, calls, lines = tmp_path / "run", [], []
    names = [s.name for s in STAGES]
    at = names.index("train_saro")

    with pytest.raises(KeyboardInterrupt):
        run_pipeline(cfg, out, echo=lines.append, progress=False, stages=counted(calls))
    assert calls == names[: at + 1]
    assert stage_status(out) == {**dict.fromkeys(names[:at], "done"), "train_saro": "running"}
    saro = out / "models" / "saro"
    assert json.loads((saro / "run.json").read_text())["status"] == "running"
    assert (saro / "checkpoint-1").is_dir()

    calls.clear()
    lines.clear()
    run_pipeline(cfg, out, echo=lines.append, progress=False, stages=counted(calls))
    assert calls == names[at:]  # nothing before the killed stage ran again
    assert [line for line in lines if line.startswith("[skip]")] == [
        f"[skip] {n}: done" for n in names[:at]
    ]
    assert stage_status(out) == dict.fromkeys(names, "done")
    assert missing_files(out) == []
    trained = json.loads((saro / "run.json").read_text())
    assert trained["status"] == "done" and trained["global_step"] == 2
    steps = [json.loads(x)["step"] for x in (saro / "metrics.jsonl").read_text().splitlines()
             if "loss" in json.loads(x)]  # fmt: skip
    assert steps == [1, 2]


def test_a_trained_model_whose_files_are_gone_is_trained_again(finished, cfg):
    """Deleting a finished arm's model files makes its stage rerun and write them again (the
    training run's own bookkeeping says "done", but the pipeline checks the declared files)."""
    run_dir, _ = finished
    (run_dir / "models" / "safety_sft" / "config.json").unlink()
    lines: list[str] = []
    run_pipeline(cfg, run_dir, only=["train_safety_sft"], echo=lines.append, progress=False)
    assert (run_dir / "models" / "safety_sft" / "config.json").exists()
    assert not missing_files(run_dir)


def test_several_training_seeds_over_the_real_stages(cfg, engines, finished, tmp_path):
    """``--seeds 0,1``: seed 0 is the finished run (copied in), seed 1 runs every real stage with
    training seed 1 except the base model's eval, which it shares; the aggregate then tests SaRO
    against every other arm on each headline metric, with Holm over all of them."""
    from saro.pipeline.seeds import run_seeds

    run, _ = finished
    root = tmp_path / "seeds"
    shutil.copytree(run, root / "seed-0")
    lines: list[str] = []
    result = run_seeds(cfg, root, [0, 1], echo=lines.append, progress=False)
    ran = [line.split()[2].rstrip(":") for line in lines if line.startswith("[run ]")]
    assert ran == [s.name for s in STAGES if s.name != "eval_base"]
    assert any(line.startswith("[share] eval_base") for line in lines)
    state = json.loads((root / "seed-1" / "run.json").read_text())
    assert state["seed"] == 1
    trained = json.loads((root / "seed-1" / "models" / "saro" / "run.json").read_text())
    assert trained["config"]["seed"] == 1
    others = {a.key for a in ROSTER} - {"saro"}
    assert {t["other"] for t in result["tests"]} == others
    metrics = {t["metric"] for t in result["tests"]}
    assert {"jailbreak", "harmful", "strict_overrefusal", "unhelpful", "gsm8k"} <= metrics
    assert result["comparisons"] == len(result["tests"])
    assert all(t["strata"] == 2 and t["n_pairs"] > 0 for t in result["tests"])
    assert (root / "aggregate.md").read_text().count("SaRO vs") == result["comparisons"]
