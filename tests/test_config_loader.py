"""The one config loader (saro.config): values type-checked before any work, YAML 1.2 scalars,
unknown keys answered with the nearest real key; and the training configs checked the same way."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from saro.cli import main
from saro.config import from_dict, load_stage_config, load_yaml, parse_set
from saro.errors import SaroError


@dataclass
class Sampling:
    k: int = 4
    temperature: float = 0.8
    greedy: bool = False


@dataclass
class Section:
    sampling: Sampling = field(default_factory=Sampling)
    strategy: str = "steps"
    learning_rate: float = 1e-3
    limit: int | None = None


def error_line(capsys) -> str:
    """The CLI's one `error:` line on stderr (nothing on stdout)."""
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


def refuse(monkeypatch, target: str) -> None:
    """Make ``target`` (a function that would do the command's work) fail the test if called."""
    monkeypatch.setattr(target, lambda *a, **k: pytest.fail(f"{target} ran before the check"))


# -- saro data rit: a bad override stops the command before it does anything ---------------------
def test_a_mistyped_data_override_names_key_value_and_type(tmp_path, capsys, monkeypatch):
    refuse(monkeypatch, "saro.datagen.rit.build.build_rit")
    out = tmp_path / "rit"
    assert main(["data", "rit", "--out", str(out), "--set", "teacher.k=abc"]) == 2
    line = error_line(capsys)
    assert "teacher.k = 'abc' is not int" in line  # the key, the value and the expected type
    assert "Give k int." in line
    assert not out.exists()


def test_a_nested_unknown_key_names_the_nearest_key(tmp_path, capsys, monkeypatch):
    refuse(monkeypatch, "saro.datagen.rit.build.build_rit")
    out = tmp_path / "rit"
    assert main(["data", "rit", "--out", str(out), "--set", "teacher.temprature=0.5"]) == 2
    line = error_line(capsys)
    assert "Unknown key 'temprature' in config.teacher." in line
    assert "Did you mean 'temperature'?" in line
    assert not out.exists()

    with pytest.raises(SaroError, match=r"Unknown key 'kk' in cfg\.sampling\. Did you mean 'k'\?"):
        from_dict(Section, {"sampling": {"kk": 3}}, where="cfg")


# -- YAML 1.2 scalars ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
def test_yes_no_on_off_stay_strings(text):
    assert load_yaml(text) == text


@pytest.mark.parametrize(
    "text, value", [("true", True), ("false", False), ("True", True), ("FALSE", False)]
)
def test_true_and_false_are_booleans(text, value):
    assert load_yaml(text) is value


@pytest.mark.parametrize(
    "text, value", [("1e-4", 1e-4), ("1E-2", 0.01), ("-2.5e+3", -2500.0), ("3e5", 3e5)]
)
def test_exponent_numbers_are_floats(text, value):
    got = load_yaml(text)
    assert isinstance(got, float) and got == value


def test_scalars_read_the_same_from_a_file_and_from_set(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("strategy: no\nlearning_rate: 1e-4\nsampling:\n  greedy: true\n")
    cfg = load_stage_config(Section, path)
    assert cfg.strategy == "no" and cfg.learning_rate == 1e-4 and cfg.sampling.greedy is True
    assert isinstance(cfg.sampling, Sampling)

    assert parse_set(["strategy=no", "learning_rate=1e-4", "sampling.greedy=false"]) == {
        "strategy": "no",
        "learning_rate": 1e-4,
        "sampling": {"greedy": False},
    }
    cfg = load_stage_config(Section, path, ["strategy=yes", "sampling.greedy=false"])
    assert cfg.strategy == "yes" and cfg.sampling.greedy is False and cfg.learning_rate == 1e-4


# -- type checks -----------------------------------------------------------------------------------
def test_a_bool_field_given_no_is_refused_with_the_type_named(tmp_path):
    with pytest.raises(SaroError, match=r"config\.sampling\.greedy = 'no' is not bool\."):
        load_stage_config(Section, None, ["sampling.greedy=no"])
    with pytest.raises(SaroError, match=r"Give greedy bool\."):
        from_dict(Section, {"sampling": {"greedy": "no"}})


@pytest.mark.parametrize(
    "values, message",
    [
        ({"sampling": {"k": "abc"}}, "config.sampling.k = 'abc' is not int."),
        ({"sampling": {"k": True}}, "config.sampling.k = True is not int."),
        ({"sampling": {"k": 2.5}}, "config.sampling.k = 2.5 is not int."),
        ({"sampling": {"temperature": "hot"}}, "config.sampling.temperature = 'hot' is not float."),
        ({"limit": "all"}, "config.limit = 'all' is not int or null."),
        ({"strategy": 3}, "config.strategy = 3 is not str."),
        ({"sampling": 4}, "config.sampling = 4 is not a mapping."),
    ],
)
def test_values_of_the_wrong_type_are_refused(values, message):
    with pytest.raises(SaroError) as err:
        from_dict(Section, values)
    assert str(err.value).startswith(message)


def test_values_of_the_right_type_pass():
    cfg = from_dict(Section, {"sampling": {"k": 2, "temperature": 1}, "limit": None})
    assert cfg.sampling.k == 2 and cfg.sampling.temperature == 1 and cfg.limit is None


# -- saro train: build_config type-checks the fields whose types resolve ---------------------
@pytest.mark.parametrize(
    "override, message",
    [
        ("max_steps=abc", "config.max_steps = 'abc' is not int"),
        ("use_lora=no", "config.use_lora = 'no' is not bool"),
        ("learning_rate=fast", "config.learning_rate = 'fast' is not float"),
    ],
)
def test_train_overrides_are_type_checked(override, message, capsys, monkeypatch):
    refuse(monkeypatch, "saro.train.sft.main")
    assert main(["train", "sft", "--set", override]) == 2
    line = error_line(capsys)
    assert message in line


def test_ppcot_steps_takes_a_name_or_an_integer_k():
    from saro.config import load_stage_config
    from saro.datagen.preference.config import PrefConfig

    assert load_stage_config(PrefConfig, None, ["ppcot.steps=2"]).ppcot.steps == 2
    assert load_stage_config(PrefConfig, None, ["ppcot.steps=all"]).ppcot.steps == "all"


def test_trl_keys_typed_as_lists_also_take_one_string():
    from saro.train.config import load_config

    cfg = load_config("dpo", None, ["output_dir=/tmp/unused", "loss_type=sigmoid"])
    assert cfg.loss_type in ("sigmoid", ["sigmoid"])


def test_a_nested_train_override_merges_into_the_file(tmp_path):
    from saro.train.config import load_config

    path = tmp_path / "sft.yaml"
    path.write_text("output_dir: /tmp/unused\nmodel_init_kwargs: {low_cpu_mem_usage: true}\n")
    cfg = load_config("sft", path, ["model_init_kwargs.revision=main"])
    assert cfg.model_init_kwargs == {"low_cpu_mem_usage": True, "revision": "main"}
