"""`saro run` orchestration: stage order, skipping finished stages, resume after a kill,
--from / --only / --dry-run, and the run directory's provenance (issue 8)."""

import json
from pathlib import Path

import pytest

from saro import pipeline, stages
from saro.cli import main
from saro.errors import SaroError
from saro.pipeline import Run, Stage, load_run_config, run_pipeline

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture
def fake_stages(monkeypatch):
    """Three stages that log their runs; the second fails once when asked to."""
    calls = []
    state = {"fail_b": False}

    def make(name):
        def run(r: Run):
            if name == "b" and state["fail_b"]:
                state["fail_b"] = False
                raise KeyboardInterrupt  # a kill in the middle of stage b
            calls.append(name)
            r.path(name).mkdir(parents=True, exist_ok=True)
            return {"made": name}

        return Stage(name, run, lambda r: (1000, 60.0), f"stage {name}")

    monkeypatch.setattr(stages, "STAGES", [make("a"), make("b"), make("c")])
    return calls, state


def cfg():
    return load_run_config(CONFIGS / "demo.yaml")


def test_runs_every_stage_once_then_skips_finished_ones(tmp_path, fake_stages):
    calls, _ = fake_stages
    run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    assert calls == ["a", "b", "c"]
    state = json.loads((tmp_path / "run.json").read_text())
    assert {k: v["status"] for k, v in state["stages"].items()} == dict.fromkeys("abc", "done")
    assert state["saro_version"] and state["seed"] == 0 and "pyrit" in state["wheels"]
    assert state["config"]["base_model"] == "smollm2-135m"


def test_a_killed_run_resumes_at_the_stage_it_stopped_in(tmp_path, fake_stages):
    calls, state = fake_stages
    state["fail_b"] = True
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    assert calls == ["a"]
    assert json.loads((tmp_path / "run.json").read_text())["stages"]["b"]["status"] == "running"
    run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    assert calls == ["a", "b", "c"]


def test_from_reruns_that_stage_and_everything_after(tmp_path, fake_stages):
    calls, _ = fake_stages
    run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    run_pipeline(cfg(), tmp_path, start="b", echo=lambda s: None)
    assert calls == ["a", "b", "c", "b", "c"]


def test_only_runs_just_the_named_stage(tmp_path, fake_stages):
    calls, _ = fake_stages
    run_pipeline(cfg(), tmp_path, only=["c"], echo=lambda s: None)
    assert calls == ["c"]


def test_dry_run_prints_the_plan_and_runs_nothing(tmp_path, fake_stages):
    calls, _ = fake_stages
    lines = []
    run_pipeline(cfg(), tmp_path, dry_run=True, echo=lines.append)
    assert calls == [] and not (tmp_path / "run.json").exists()
    assert any("stage b" in line and "1,000 tokens" in line for line in lines)
    assert "Estimated total: ~3 min" in lines[-1]


def test_unknown_stage_and_changed_config_are_clear_errors(tmp_path, fake_stages):
    with pytest.raises(SaroError, match="Unknown stage 'bb'. Did you mean 'b'"):
        run_pipeline(cfg(), tmp_path, only=["bb"], echo=lambda s: None)
    run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    other = cfg()
    other.seed = 7
    with pytest.raises(SaroError, match="different config"):
        run_pipeline(other, tmp_path, echo=lambda s: None)


def test_real_stage_list_dry_run_covers_the_whole_chain(tmp_path, capsys):
    assert (
        main(["run", "--config", str(CONFIGS / "demo.yaml"), "--out", str(tmp_path), "--dry-run"])
        == 0
    )
    err = capsys.readouterr().err
    for name in (
        "rit",
        "train_rw",
        "opcot",
        "ppcot",
        "train_saro",
        "train_direct_dpo",
        "eval_base",
        "eval_saro",
        "analyze",
        "report",
    ):
        assert name in err
    assert not (tmp_path / "run.json").exists()


def test_bad_run_config_key_names_the_nearest(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base_modle: x\n")
    assert main(["run", "--config", str(bad), "--out", str(tmp_path / "r"), "--dry-run"]) == 2


def test_pipeline_module_exposes_the_five_models():
    assert pipeline.MODELS == ("base", "safety_sft", "direct_dpo", "rw", "saro")
