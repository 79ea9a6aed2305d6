"""Every run and data config under configs/ loads and validates."""

from pathlib import Path

import pytest
import yaml

from saro.config import load_stage_config
from saro.datagen.preference.config import PrefConfig
from saro.datagen.rit.config import RitConfig
from saro.errors import SaroError
from saro.pipeline.config import load_run_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
RUN_CONFIGS = sorted(
    p for p in CONFIGS.rglob("*.yaml") if "base_model" in (yaml.safe_load(p.read_text()) or {})
)


def test_demo_cpu_full_and_paper_run_configs_exist():
    names = {p.relative_to(CONFIGS).as_posix() for p in RUN_CONFIGS}
    assert {"demo.yaml", "cpu-full.yaml"} <= names
    assert any(n.startswith("paper/") for n in names)


@pytest.mark.parametrize("path", RUN_CONFIGS, ids=lambda p: p.relative_to(CONFIGS).as_posix())
def test_run_config_validates_and_names_its_command(path):
    cfg = load_run_config(path)  # also validates every train section against TRL's configs
    assert cfg.eval.suites
    header = path.read_text().split("\n\n")[0]
    assert f"saro run --config configs/{path.relative_to(CONFIGS).as_posix()}" in header


@pytest.mark.parametrize("name,cls", [("rit.yaml", RitConfig), ("pref.yaml", PrefConfig)])
def test_data_configs_validate(name, cls):
    cfg = load_stage_config(cls, CONFIGS / "data" / name)
    assert isinstance(cfg, cls)


def test_a_bad_train_key_in_a_run_config_fails_before_any_work(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (CONFIGS / "demo.yaml").read_text().replace("learning_rate:", "learning_rat:", 1)
    )
    with pytest.raises(SaroError, match="learning_rat"):
        load_run_config(bad)
