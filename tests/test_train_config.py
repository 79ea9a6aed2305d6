"""Training configs: every YAML validates, keys and overrides, the output-dir guard, OOM hints."""

from pathlib import Path

import pytest
import yaml

from saro.cli import main as cli_main
from saro.errors import SaroError
from saro.train import sft
from saro.train.common import run_training
from saro.train.config import STAGE_KINDS, build_config, config_hash, load_config
from train_helpers import RIT, sft_values

CONFIGS = Path(__file__).parents[1] / "configs"


def _squash(text: str) -> str:
    """Drop all whitespace: rich wraps long error lines at any space."""
    return "".join(text.split())


def _all_yaml():
    return sorted(CONFIGS.rglob("*.yaml"))


def test_configs_exist_for_every_stage_and_launcher():
    names = {p.relative_to(CONFIGS).as_posix() for p in _all_yaml()}
    for name in [
        "train/sft-rw.yaml",
        "train/sft-safety.yaml",
        "train/dpo-srpo.yaml",
        "train/dpo-direct.yaml",
        "accelerate/cpu.yaml",
        "accelerate/ddp.yaml",
        "accelerate/zero2.yaml",
        "accelerate/zero3.yaml",
        "accelerate/fsdp.yaml",
    ]:
        assert name in names
    assert any(n.startswith("paper/") and "lora" in n for n in names)
    assert any(n.startswith("paper/") and "zero3" in n for n in names)


@pytest.mark.parametrize("path", _all_yaml(), ids=lambda p: p.relative_to(CONFIGS).as_posix())
def test_every_yaml_under_configs_validates(path):
    data = yaml.safe_load(path.read_text())  # every file parses; ours also validate
    if not isinstance(data, dict):
        return
    if path.parent.name == "accelerate":
        from accelerate.commands.config.config_args import ClusterConfig

        ClusterConfig.from_yaml_file(str(path))  # refuses unknown keys
        assert "accelerate launch --config_file configs/accelerate/" in path.read_text()
    elif data.get("stage") in STAGE_KINDS:
        cfg = load_config(STAGE_KINDS[data["stage"]], path)  # no GPU needed: use_cpu is implied
        assert cfg.stage == data["stage"]
        head = path.read_text().split("\n\n")[0]
        assert f"-m saro.cli train {STAGE_KINDS[data['stage']]}" in head or "saro train" in head


def test_cpu_defaults_differ_from_trl():
    cfg = load_config("sft", None, ["output_dir=/tmp/unused"])
    assert cfg.bf16 is False and cfg.activation_checkpointing is False
    assert cfg.report_to in ([], "none", ["none"])
    assert load_config("dpo", None, ["output_dir=/tmp/unused"]).precompute_ref_log_probs


def test_overrides_parse_as_yaml_values(tmp_path):
    cfg = load_config(
        "dpo",
        CONFIGS / "train/dpo-srpo.yaml",
        ["max_steps=7", "beta=0.25", "train_files=[a.jsonl, b.jsonl]", f"output_dir={tmp_path}"],
    )
    assert (cfg.max_steps, cfg.beta, cfg.train_files) == (7, 0.25, ["a.jsonl", "b.jsonl"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "sft", "--set", "learnig_rate=1e-5"], "Did you mean 'learning_rate'"),
        (["train", "dpo", "--set", "bta=0.2"], "Did you mean 'beta'"),
        (["train", "sft", "--config", "configs/train/dpo-srpo.yaml"], "Use `saro train dpo`"),
        (["train", "sft", "--config", "nope.yaml"], "does not exist"),
        (["train", "sft", "--set", "max_steps"], "is not key=value"),
    ],
)
def test_cli_config_errors_are_one_line_with_a_fix(argv, message, capsys, monkeypatch):
    monkeypatch.chdir(CONFIGS.parent)
    assert cli_main(argv) == 2
    assert _squash(message) in _squash(capsys.readouterr().err)


def test_help_keys_lists_every_field_with_its_help(capsys):
    assert cli_main(["train", "sft", "--help-keys"]) == 0
    out = capsys.readouterr().out
    assert "strip_reasoning: Drop the <think>" in out and "learning_rate:" in out


def test_hash_ignores_logging_and_resume_but_not_what_is_learned():
    base = {"output_dir": "/tmp/a", "train_file": "x.jsonl"}
    h = config_hash(build_config("sft", base))
    assert h == config_hash(build_config("sft", {**base, "logging_steps": 5, "resume": True}))
    assert h != config_hash(build_config("sft", {**base, "learning_rate": 1e-3}))


def test_output_dir_guard(tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "run"
    values = sft_values(tiny_model_dir, out, max_steps=1)
    sft.main(build_config("sft", values))
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    # the same finished run is reused, not retrained
    assert sft.main(build_config("sft", values)) == out
    assert (out / "model.safetensors").stat().st_mtime_ns == stamp
    # a different run is refused, unless --overwrite
    other = {**values, "learning_rate": 0.5}
    with pytest.raises(SaroError, match="holds a different run.*--overwrite"):
        sft.main(build_config("sft", other))
    sft.main(build_config("sft", {**other, "overwrite": True}))
    assert (out / "model.safetensors").stat().st_mtime_ns != stamp
    # files that are not a saro run are never deleted
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(SaroError, match="not a saro run"):
        sft.main(build_config("sft", sft_values(tiny_model_dir, foreign, overwrite=True)))
    assert (foreign / "notes.txt").exists()


def test_bad_dataset_through_the_cli_names_field_and_format(tmp_path, tiny_model_dir, capsys):
    bad = tmp_path / "rit.jsonl"
    bad.write_text('{"prompt": "q", "completion": "a"}\n')
    code = cli_main(
        [
            "train",
            "sft",
            "--set",
            f"model_name_or_path={tiny_model_dir}",
            "--set",
            f"train_file={bad}",
            "--set",
            f"output_dir={tmp_path / 'o'}",
        ]
    )
    err = _squash(capsys.readouterr().err)
    assert code == 2
    assert _squash("rit.jsonl:1 lacks the field 'messages'") in err and '{"messages":[' in err


class _Args:
    per_device_train_batch_size = 8
    max_length = 1024


class _OomTrainer:
    args = _Args()

    def train(self, resume_from_checkpoint=None):
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"
        )


def test_out_of_memory_becomes_a_hint_to_lower_the_batch_or_use_lora():
    with pytest.raises(SaroError, match="per_device_train_batch_size=8.*Lower.*use_lora=true"):
        run_training(_OomTrainer(), None)


def test_hash_changes_when_the_data_or_the_starting_run_changes(tmp_path):
    data = tmp_path / "rit.jsonl"
    data.write_text(RIT.read_text())
    base = {"output_dir": str(tmp_path / "o"), "train_file": str(data)}
    h = config_hash(build_config("sft", base))
    data.write_text(RIT.read_text() + RIT.read_text())
    assert config_hash(build_config("sft", base)) != h

    model = tmp_path / "rw"
    model.mkdir()
    (model / "run.json").write_text('{"config_hash": "aaa"}')
    dpo_values = {"output_dir": str(tmp_path / "d"), "model_name_or_path": str(model)}
    h = config_hash(build_config("dpo", dpo_values))
    (model / "run.json").write_text('{"config_hash": "bbb"}')
    assert config_hash(build_config("dpo", dpo_values)) != h


def test_exponent_floats_without_a_dot_are_numbers(tmp_path):
    # PyYAML reads `1e-4` as a string; a learning rate written that way must still work
    values = {"train_file": "x.jsonl", "output_dir": str(tmp_path / "o")}
    cfg = load_config("sft", None, ["learning_rate=1e-4", "weight_decay=1E-2"], **values)
    assert cfg.learning_rate == 1e-4 and cfg.weight_decay == 0.01
    path = tmp_path / "c.yaml"
    path.write_text("learning_rate: 3e-5\noutput_dir: x\ntrain_file: y\n")
    assert load_config("sft", path).learning_rate == 3e-5
    from saro.config import parse_set

    assert parse_set(["pref.sampling.temperature=7e-1"]) == {
        "pref": {"sampling": {"temperature": 0.7}}
    }
