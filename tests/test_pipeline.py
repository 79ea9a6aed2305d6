"""`saro run` orchestration: stage order, skipping finished stages, resume after a kill,
--from / --only / --dry-run, declared outputs, and the run directory's provenance."""

import json
import sys
from pathlib import Path

import pytest

from saro.cli import main
from saro.errors import SaroError
from saro.pipeline.config import load_run_config
from saro.pipeline.roster import DEFAULT_ARMS, ROSTER, TRAINED, arm
from saro.pipeline.rundir import Run
from saro.pipeline.runner import run_pipeline
from saro.pipeline.stages import STAGES, Stage

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
            if not state.get(f"forget_{name}"):
                r.path(name).mkdir(parents=True, exist_ok=True)
                r.path(name, "out.txt").write_text(name)
            return {"made": name}

        return Stage(
            name, run, lambda r: (1000, 60.0), f"stage {name}", writes=(f"{name}/out.txt",)
        )

    fake = (make("a"), make("b"), make("c"))
    real = run_pipeline

    def run_fake(*args, **kwargs):
        return real(*args, stages=fake, **kwargs)

    monkeypatch.setattr(sys.modules[__name__], "run_pipeline", run_fake)
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


def test_a_run_resumes_under_new_throughput_rates_which_only_change_estimates(
    tmp_path, fake_stages
):
    run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    faster = cfg()
    faster.throughput.gen_tokens_per_s *= 2
    run_pipeline(faster, tmp_path, echo=lambda s: None)
    saved = json.loads((tmp_path / "run.json").read_text())["config"]["throughput"]
    assert saved["gen_tokens_per_s"] == faster.throughput.gen_tokens_per_s


def test_a_finished_run_grows_by_the_arms_a_config_adds_and_cannot_shrink(tmp_path, monkeypatch):
    calls, kill = [], set()

    def stage(name, *, needs=None, summary=False):
        def run(r: Run):
            if name in kill:
                kill.discard(name)
                raise KeyboardInterrupt  # killed in the new arm's stage
            calls.append(name)
            r.path(name).mkdir(parents=True, exist_ok=True)
            r.path(name, "out.txt").write_text(name)

        def skip(r: Run):
            return f"{needs} not in arms" if needs not in r.cfg.arms else None

        return Stage(
            name, run, lambda r: (0, 0.0), name, writes=(f"{name}/out.txt",),
            skip=skip if needs else None, summary=summary,
        )  # fmt: skip

    stages = (stage("rw", needs="rw"), stage("op", needs="saro_op"), stage("report", summary=True))
    small = cfg()
    small.arms = ["base", "rw"]
    run_pipeline(small, tmp_path, stages=stages, echo=lambda s: None)
    assert calls == ["rw", "report"]
    state = json.loads((tmp_path / "run.json").read_text())
    assert state["stages"]["report"]["arms"] == ["base", "rw"]  # the arms it summarised
    del state["stages"]["report"]["arms"]  # as a run made before runs could grow records it
    (tmp_path / "run.json").write_text(json.dumps(state))

    grown = cfg()
    grown.arms = ["base", "rw", "saro_op"]
    lines = []
    kill.add("op")
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(grown, tmp_path, stages=stages, echo=lines.append)
    assert "[grow] arms added" in lines[0] and "saro_op" in lines[0]
    # resumed after the kill: the run.json already lists the new arm, the report still reruns
    run_pipeline(grown, tmp_path, stages=stages, echo=lambda s: None)
    assert calls == ["rw", "report", "op", "report"]  # the new arm's stage, then the summary
    assert json.loads((tmp_path / "run.json").read_text())["config"]["arms"] == grown.arms
    run_pipeline(grown, tmp_path, stages=stages, echo=lambda s: None)
    assert len(calls) == 4  # grown and finished: nothing reruns

    with pytest.raises(SaroError, match="arms saro_op, which this config leaves out"):
        run_pipeline(small, tmp_path, stages=stages, echo=lambda s: None)


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


def test_a_stage_whose_output_is_gone_runs_again(tmp_path, fake_stages):
    calls, _ = fake_stages
    run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    (tmp_path / "b" / "out.txt").unlink()
    run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    assert calls == ["a", "b", "c", "b"]


def test_a_stage_that_does_not_write_what_it_declares_fails_clearly(tmp_path, fake_stages):
    calls, state = fake_stages
    state["forget_b"] = True
    with pytest.raises(SaroError, match="Stage b finished without writing b/out.txt"):
        run_pipeline(cfg(), tmp_path, echo=lambda s: None)
    assert json.loads((tmp_path / "run.json").read_text())["stages"]["b"]["status"] == "failed"


def test_bad_run_config_key_names_the_nearest(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base_modle: x\n")
    assert main(["run", "--config", str(bad), "--out", str(tmp_path / "r"), "--dry-run"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Unknown key 'base_modle'" in err and "Did you mean 'base_model'?" in err


def test_every_stage_reads_only_what_an_earlier_stage_writes():
    written: set[str] = set()
    for stage in STAGES:
        missing = [f for f in stage.reads if f not in written]
        assert not missing, f"{stage.name} reads {missing} before any stage writes them"
        written |= set(stage.writes)


def test_the_roster_drives_the_training_and_eval_stages():
    names = [s.name for s in STAGES]
    assert [a.key for a in ROSTER] == [
        "base", "safety_sft", "sft_dpo", "direct_dpo", "rw", "saro", "saro_op"
    ]  # fmt: skip
    assert DEFAULT_ARMS == ("base", "safety_sft", "sft_dpo", "direct_dpo", "rw", "saro")
    for a in ROSTER:
        assert f"eval_{a.key}" in names
        assert (f"train_{a.key}" in names) == a.trained
    for key in TRAINED:  # every arm's start is trained before it
        start = arm(key).start
        if arm(start).trained:
            assert names.index(f"train_{start}") < names.index(f"train_{key}")
    with pytest.raises(SaroError, match="Did you mean 'saro'"):
        arm("sar")


def test_a_stage_whose_input_is_missing_names_the_stage_that_writes_it(tmp_path):
    def noop(r):
        return {}

    stages = (
        Stage("make", noop, lambda r: (0, 0.0), "writes x", writes=("x.txt",)),
        Stage("use", noop, lambda r: (0, 0.0), "reads x", reads=("x.txt",)),
    )
    with pytest.raises(SaroError, match=r"Stage use needs x.txt.*Run stage make first"):
        run_pipeline(cfg(), tmp_path, only=["use"], echo=lambda s: None, stages=stages)


def test_the_pipeline_refuses_training_keys_it_fills_in_and_unloadable_adapters(tmp_path):
    with pytest.raises(SaroError, match="train.rw sets output_dir, which saro run fills in"):
        load_run_config(CONFIGS / "demo.yaml", ["train.rw.output_dir=/tmp/x"])
    with pytest.raises(SaroError, match="merge_lora: false"):
        load_run_config(
            CONFIGS / "demo.yaml", ["train.rw.use_lora=true", "train.rw.merge_lora=false"]
        )


@pytest.fixture
def pair_builder(monkeypatch) -> dict:
    """Replaces the direct/control pair builder; returns what it was called with."""
    import saro.datagen.preference.build as build

    seen: dict = {}

    def fake(model, cfg, safety_sft, out, progress=True, **kw):
        seen.update(cfg=cfg, model=model, out=out, **kw)
        return {"pairs": 0}

    monkeypatch.setattr(build, "build_direct_dir", fake)
    return seen


def test_direct_pairs_sample_with_the_preference_engine_and_policy_unless_set(
    tmp_path, pair_builder
):
    from saro.pipeline.stages import STAGES as REAL

    seen = pair_builder
    stage = next(s for s in REAL if s.name == "direct_pairs")
    every = "arms=[base,safety_sft,sft_dpo,direct_dpo,rw,saro]"  # the demo leaves Direct-DPO out
    c = load_run_config(CONFIGS / "demo.yaml", ["pref.sampling.engine=vllm", "seed=3", every])
    stage.run(Run(c, tmp_path))
    assert (seen["cfg"].engine, seen["cfg"].seed) == ("vllm", 3)
    assert c.direct.engine is None and c.direct.seed == 0  # the user's config is not changed
    c = load_run_config(
        CONFIGS / "demo.yaml", ["pref.sampling.engine=vllm", "direct.engine=hf", every]
    )
    stage.run(Run(c, tmp_path))
    assert seen["cfg"].engine == "hf"


def test_the_control_arm_samples_its_pairs_from_safety_sft_with_its_own_section(
    tmp_path, pair_builder
):
    """Safety-SFT -> DPO: pairs from the Safety-SFT model's own answers (on-policy chosen), with
    the `control` section's settings, into pref/control."""
    from saro.pipeline.stages import STAGES as REAL

    seen = pair_builder
    stage = next(s for s in REAL if s.name == "control_pairs")
    c = load_run_config(CONFIGS / "demo.yaml", ["seed=4"])
    stage.run(Run(c, tmp_path))
    assert seen["model"] == str(tmp_path / "models" / "safety_sft")
    assert seen["out"] == tmp_path / "pref" / "control" and seen["on_policy_chosen"] is True
    assert (seen["cfg"].n, seen["cfg"].limit, seen["cfg"].seed) == (c.control.n, c.control.limit, 4)


def test_an_arm_left_out_skips_its_pairs_training_and_eval(tmp_path):
    from saro.pipeline.stages import STAGES as REAL

    c = load_run_config(CONFIGS / "demo.yaml", ["arms=[base,safety_sft,rw,saro]"])
    run = Run(c, tmp_path)
    for name in ("control_pairs", "train_sft_dpo", "eval_sft_dpo", "direct_pairs"):
        result = next(s for s in REAL if s.name == name).run(run)
        assert "not in arms" in result["skipped"]
    assert not (tmp_path / "pref").exists() and not (tmp_path / "models").exists()
    with pytest.raises(SaroError, match="arms lists 'sft_dpo' but not 'safety_sft'"):
        load_run_config(CONFIGS / "demo.yaml", ["arms=[base,sft_dpo]"])


def test_fewer_suites_by_set_drop_their_limits_and_a_misnamed_suite_fails_at_load(
    tmp_path, monkeypatch
):
    """The ablations evaluate a few suites of cpu-full.yaml, whose per-suite limits name others:
    those limits do not apply; a suite or limit name that is no suite is refused before any
    training."""
    import saro.evaluate.runner as runner_mod
    from saro.pipeline.stages import STAGES as REAL

    seen = {}
    monkeypatch.setattr(
        runner_mod, "evaluate", lambda model, suites, out, **kw: seen.update(kw) or {"suites": {}}
    )
    c = load_run_config(CONFIGS / "cpu-full.yaml", ["eval.suites=[jailbreak,recovery]"])
    assert set(c.eval.limits) > {"recovery"}  # gsm8k, arc_easy limits stay in the config
    (tmp_path / "models" / "rw").mkdir(parents=True)
    next(s for s in REAL if s.name == "eval_rw").run(Run(c, tmp_path))
    assert seen["limits"] == {"recovery": c.eval.limits["recovery"]}
    with pytest.raises(SaroError, match="Unknown suite 'jailbrek'"):
        load_run_config(CONFIGS / "cpu-full.yaml", ["eval.limits={jailbrek: 5}"])


def test_preference_data_is_built_only_for_the_arms_that_train_on_it(tmp_path):
    """OP-COT feeds SaRO and its OP-COT-only ablation, PP-COT SaRO alone: an RW-only run (the SRS
    ablation) makes neither; an OP-COT-only run makes no PP-COT."""
    from saro.pipeline.stages import STAGES as REAL

    def skipped(arms: str, name: str):
        run = Run(load_run_config(CONFIGS / "demo.yaml", [f"arms={arms}"]), tmp_path)
        stage = next(s for s in REAL if s.name == name)
        return stage.skip(run), (stage.run(run) or {}).get("skipped") if stage.skip(run) else None

    assert skipped("[rw]", "opcot") == ("saro and saro_op not in arms",) * 2
    assert skipped("[rw]", "ppcot") == ("saro not in arms",) * 2
    assert skipped("[rw,saro_op]", "ppcot") == ("saro not in arms",) * 2
    assert skipped("[rw,saro_op]", "opcot") == (None, None)
    assert not (tmp_path / "pref").exists()


def test_each_arm_trains_under_a_stage_name_its_trainer_accepts():
    from saro.train.config import STAGE_KINDS

    for a in ROSTER:
        if a.trained:
            assert STAGE_KINDS[a.stage] == a.trainer, a.key


def test_the_runner_skips_an_arm_left_out_without_asking_for_its_inputs(tmp_path):
    """The demo leaves Direct-DPO out: its pairs are never made, and its training and eval
    stages are recorded as skipped instead of failing on the missing pairs file."""
    from saro.pipeline.stages import STAGES as REAL

    names = ("direct_pairs", "train_direct_dpo", "eval_direct_dpo")
    stages = tuple(s for s in REAL if s.name in names)
    c = load_run_config(CONFIGS / "demo.yaml")
    assert "direct_dpo" not in c.arms
    lines = []
    run_pipeline(c, tmp_path, echo=lines.append, stages=stages)
    state = json.loads((tmp_path / "run.json").read_text())["stages"]
    assert {n: state[n]["skipped"] for n in names} == dict.fromkeys(names, "direct_dpo not in arms")
    assert lines == [f"[skip] {n}: direct_dpo not in arms" for n in names]
    plan = []
    run_pipeline(c, tmp_path / "dry", echo=plan.append, dry_run=True, stages=stages)
    planned = [line for line in plan if line.strip().split(" ")[0] in names]
    assert len(planned) == 3 and all("left out (direct_dpo not in arms)" in x for x in planned)
