"""Model registry: resolving names, folders and hub ids; preparing once; ``saro models``."""

from __future__ import annotations

import json

import pytest

from saro import models
from saro.cli import main
from saro.errors import SaroError

pytestmark = pytest.mark.usefixtures("one_thread")  # `one_thread` and `tiny`: tests/conftest.py


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SARO_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def fake_registry(monkeypatch, tiny):
    """Replace the registry with one model whose preparation copies the tiny model."""
    calls = []

    def prepare(out):
        import shutil

        calls.append(out)
        shutil.copytree(tiny, out, dirs_exist_ok=True)

    spec = models.ModelSpec("tiny", "40K", "test", "MIT", prepare)
    monkeypatch.setattr(models, "MODELS", {"tiny": spec})
    return calls


def test_local_causal_lm_folder_resolves_to_itself(tiny):
    assert models.resolve_model(str(tiny)) == tiny


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda d: None, "no config.json"),
        (lambda d: (d / "config.json").write_text("{not json"), "Could not read the model config"),
        (
            lambda d: (d / "config.json").write_text(json.dumps({"model_type": "vit"})),
            "not a causal language model",
        ),
    ],
    ids=["empty", "malformed", "not-causal"],
)
def test_bad_local_folders_are_user_errors(tmp_path, make, match):
    make(tmp_path)
    with pytest.raises(SaroError, match=match):
        models.resolve_model(str(tmp_path))


def test_unknown_name_suggests_the_registry_name(cache):
    with pytest.raises(SaroError, match="Did you mean 'smollm2-135m'"):
        models.resolve_model("smollm2-13m")


def test_hub_ids_go_through_snapshot_download_without_code(monkeypatch, tiny):
    import huggingface_hub

    seen = {}

    def fake(repo_id, allow_patterns):
        seen[repo_id] = allow_patterns
        return str(tiny)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake)
    assert models.resolve_model("org/tiny") == tiny
    assert "*.py" not in seen["org/tiny"]
    models.resolve_model("org/tiny", trust_remote_code=True)
    assert "*.py" in seen["org/tiny"]


def test_offline_hub_failure_is_one_clear_error(monkeypatch):
    import huggingface_hub

    def offline(repo_id, allow_patterns):
        raise OSError("network unreachable")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(SaroError, match="Could not fetch the model 'org/x'.*network"):
        models.resolve_model("org/x")


def test_registry_model_is_prepared_once(cache, fake_registry):
    folder = models.resolve_model("tiny")
    assert folder == cache / "models" / "tiny" and (folder / models.READY).exists()
    assert models.resolve_model("tiny") == folder
    assert len(fake_registry) == 1
    assert models.model_rows()[0]["prepared"] == "yes"


def test_a_killed_preparation_leaves_nothing_and_is_redone(cache, monkeypatch, tiny):
    import shutil

    attempts = []

    def flaky(out):
        attempts.append(out)
        shutil.copytree(tiny, out, dirs_exist_ok=True)
        if len(attempts) == 1:
            raise KeyboardInterrupt  # killed after writing files, before the check passed

    monkeypatch.setattr(models, "MODELS", {"tiny": models.ModelSpec("tiny", "", "", "", flaky)})
    with pytest.raises(KeyboardInterrupt):
        models.prepare_model("tiny")
    assert not models.is_prepared("tiny")
    assert [p.name for p in (cache / "models").iterdir()] == []
    models.prepare_model("tiny")
    assert models.is_prepared("tiny") and len(attempts) == 2


def test_reload_check_catches_a_changed_model(tiny):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(tiny)
    models.check_reload(model, tok, tiny)  # identical: passes
    with torch.no_grad():
        model.model.norm.weight.add_(0.1)
    with pytest.raises(SaroError, match="does not reproduce the original logits"):
        models.check_reload(model, tok, tiny)


def test_cli_lists_and_prepares(cache, fake_registry, capsys):
    assert main(["models", "list"]) == 0
    assert "tiny" in capsys.readouterr().out
    assert main(["models", "prepare", "tiny"]) == 0
    assert "ready in" in capsys.readouterr().out
    assert main(["models", "prepare", "tinyy"]) == 2
    assert "Did you mean 'tiny'" in capsys.readouterr().err


@pytest.mark.slow
def test_default_model_converts_from_the_wheel_and_chats():
    """The real conversion (about a minute the first time; reused afterwards)."""
    from saro.engines import ChatRequest, make_engine

    folder = models.prepare_model(models.DEFAULT_MODEL)
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    engine = make_engine("hf", model=models.DEFAULT_MODEL)
    [[reply]] = engine.generate(
        [ChatRequest.user("What is the capital of France?")], max_new_tokens=16, progress=False
    )
    assert "Paris" in reply.text
