"""``saro export``: an HF folder plain transformers loads (same greedy output as saro's hf
engine, earlier reasoning dropped by its chat template), a GGUF file read back by gguf's reader
and by transformers (same logits at f32), an Ollama Modelfile whose template renders what the HF
template renders, and a model card with the run's scorecard."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from fixtures.run_dir import build_run_dir
from saro.cli import main
from saro.errors import SaroError
from tiny_models import build_tiny_llama


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture
def run_model(tmp_path, tiny) -> Path:
    """The tiny model as the SaRO arm of a run directory with eval results."""
    run = build_run_dir(tmp_path / "run")
    model = run / "models" / "saro"
    shutil.copytree(tiny, model, dirs_exist_ok=True)
    config = json.loads((model / "config.json").read_text())
    config["rope_parameters"]["rope_theta"] = 100000.0  # SmolLM2's; not the default 10000
    (model / "config.json").write_text(json.dumps(config))
    return model


@pytest.fixture(autouse=True)
def fast_judge(monkeypatch):
    """The card's judge figures (measured for real in tests/test_judges_refusal.py)."""
    gold = {"n": 300, "accuracy": 0.9, "label_accuracy": 0.8,
            "detail": {"complied_kappa": 0.7, "kappa": 0.6}}  # fmt: skip
    monkeypatch.setattr("saro.cli.export._judge_metrics", lambda m: {"gold": gold})


def test_hf_export_loads_with_plain_transformers_and_decodes_like_saro(run_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from saro.engines import ChatRequest, make_engine

    out = tmp_path / "hf"
    assert main(["export", "--model", str(run_model), "--out", str(out)]) == 0
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    chat = [{"role": "user", "content": "How do I bake bread?"}]
    ids = tok.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt")
    ids = ids["input_ids"] if not torch.is_tensor(ids) else ids
    with torch.no_grad():
        plain = model.generate(ids, max_new_tokens=12, do_sample=False)[0][ids.shape[1] :]
    engine = make_engine("hf", model=str(run_model))
    [[reply]] = engine.generate([ChatRequest.user(chat[0]["content"])], max_new_tokens=12)
    assert tok.decode(plain, skip_special_tokens=True) == reply.text


def test_the_exported_template_drops_earlier_reasoning_only(run_model, tmp_path):
    from transformers import AutoTokenizer

    assert main(["export", "-m", str(run_model), "-o", str(tmp_path / "hf")]) == 0
    tok = AutoTokenizer.from_pretrained(tmp_path / "hf")
    chat = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "<think>\nA greeting.\n</think>\n\nHello!"},
        {"role": "user", "content": "Bye"},
    ]
    text = tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    answers_only = [chat[0], {"role": "assistant", "content": "Hello!"}, chat[2]]
    original = AutoTokenizer.from_pretrained(run_model)
    assert text == original.apply_chat_template(
        answers_only, tokenize=False, add_generation_prompt=True
    )
    last = tok.apply_chat_template(chat[:2], tokenize=False)  # the last turn keeps its reasoning
    assert "<think>\nA greeting." in last


def test_the_model_card_has_the_hub_header_scorecard_and_warning(run_model, tmp_path):
    assert main(["export", "-m", str(run_model), "-o", str(tmp_path / "hf")]) == 0
    card = (tmp_path / "hf" / "README.md").read_text()
    assert card.startswith("---\nlicense: ")
    assert "tags:\n- saro\n" in card and "Research artefact, not for deployment" in card
    assert "| model | Jailbreak ASR |" in card and "| SaRO |" in card and "| Base |" in card
    assert "agrees on the compliance bit (what ASR counts) 90.0%" in card
    assert "One training seed" in card


def test_gguf_reads_back_with_the_same_tensors_metadata_and_logits(run_model, tmp_path):
    from gguf import GGUFReader
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "gguf"
    argv = ["export", "-m", str(run_model), "-o", str(out), "--format", "gguf", "--quant", "f32"]
    assert main(argv) == 0
    [path] = list(out.glob("*.gguf"))
    reader = GGUFReader(path)
    fields = {
        k: f.contents() for k, f in reader.fields.items() if not k.startswith("tokenizer.ggml.t")
    }
    assert fields["general.architecture"] == "llama" and fields["llama.block_count"] == 2
    assert fields["llama.rope.freq_base"] == 100000.0
    assert fields["tokenizer.chat_template"].startswith("{#- saro: earlier turns' reasoning")
    assert len(reader.tensors) == 2 * 9 + 2  # 9 per block, embeddings and the final norm
    ref_tok = AutoTokenizer.from_pretrained(run_model)
    ids = torch.tensor([ref_tok("How do I bake bread? Mix flour.")["input_ids"]])
    ref = AutoModelForCausalLM.from_pretrained(run_model)
    back = AutoModelForCausalLM.from_pretrained(out, gguf_file=path.name, dtype=torch.float32)
    with torch.no_grad():
        assert torch.allclose(ref(ids).logits, back(ids).logits, atol=1e-5)
    back_tok = AutoTokenizer.from_pretrained(out, gguf_file=path.name)
    assert (
        back_tok("How do I bake bread?")["input_ids"]
        == ref_tok("How do I bake bread?")["input_ids"]
    )
    assert (out / "README.md").exists()


@pytest.mark.parametrize("quant, tol", [("f16", 0.05), ("q8_0", 2.0)])
def test_smaller_gguf_types_stay_close(run_model, tmp_path, quant, tol):
    """Stated tolerances on the tiny random model's logits (weights drawn large on purpose)."""
    from transformers import AutoModelForCausalLM

    out = tmp_path / quant
    assert main(["export", "-m", str(run_model), "-o", str(out), "-f", "gguf", "-q", quant]) == 0
    [path] = list(out.glob("*.gguf"))
    f32 = path.stat().st_size
    ids = torch.tensor([[5, 17, 40, 3, 9]])
    ref = AutoModelForCausalLM.from_pretrained(run_model)
    back = AutoModelForCausalLM.from_pretrained(out, gguf_file=path.name, dtype=torch.float32)
    with torch.no_grad():
        assert (ref(ids).logits - back(ids).logits).abs().max().item() < tol
    assert f32 > 0


def test_ollama_modelfile_template_renders_like_the_hf_template(run_model, tmp_path):
    from transformers import AutoTokenizer

    from saro.export.ollama import TEMPLATE, check_template, render

    out = tmp_path / "ollama"
    assert main(["export", "-m", str(run_model), "-o", str(out), "-f", "ollama"]) == 0
    modelfile = (out / "Modelfile").read_text()
    gguf = next(out.glob("*.gguf")).name
    assert modelfile.startswith(f"FROM ./{gguf}\n") and 'PARAMETER stop "<|im_end|>"' in modelfile
    assert TEMPLATE in modelfile
    tok = AutoTokenizer.from_pretrained(run_model)
    chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "What is 2+2?"}]  # fmt: skip
    check_template(tok, chat)  # raises when they differ
    assert render(TEMPLATE, chat) == tok.apply_chat_template(
        chat, tokenize=False, add_generation_prompt=True
    )


def test_a_smollm_style_default_system_prompt_goes_into_the_modelfile(run_model):
    from transformers import AutoTokenizer

    from saro.export.ollama import check_template, modelfile

    tok = AutoTokenizer.from_pretrained(run_model)
    tok.chat_template = (
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
        "{{ '<|im_start|>system\nYou are SmolLM.<|im_end|>\n' }}{% endif %}"
        "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    )
    assert 'SYSTEM """You are SmolLM."""' in modelfile("m.gguf", tok)
    check_template(tok, [{"role": "user", "content": "Hi"}])
    tok.chat_template = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{% endfor %}"
    with pytest.raises(SaroError, match="not ChatML"):
        modelfile("m.gguf", tok)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--format", "onnx"], "Unknown export format 'onnx'"),
        (["--format", "gguf", "--quant", "q4_k"], "Unknown GGUF type 'q4_k'"),
    ],
)
def test_bad_options_are_one_clear_message(run_model, tmp_path, capsys, extra, message):
    assert main(["export", "-m", str(run_model), "-o", str(tmp_path / "x"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_a_folder_that_is_no_model_or_a_full_out_dir_is_refused(tmp_path, capsys, run_model):
    (tmp_path / "empty").mkdir()
    assert main(["export", "-m", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == 2
    assert "does not load as a causal language model" in capsys.readouterr().err
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("keep me")
    assert main(["export", "-m", str(run_model), "-o", str(full)]) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert (full / "x").read_text() == "keep me"


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("llama_cpp") is None,
    reason="llama-cpp-python (the llamacpp extra) is not installed",
)
def test_llama_cpp_decodes_the_f16_file_like_the_hf_engine(run_model, tmp_path):
    """Where the extra is installed: llama.cpp's own kernels on the f16 file give the hf
    engine's greedy text for the first 8 tokens (tolerance: f16 against fp32 may part after
    many tokens, so only a short prefix is compared)."""
    from saro.engines import ChatRequest, make_engine

    out = tmp_path / "gguf"
    assert main(["export", "-m", str(run_model), "-o", str(out), "-f", "gguf", "-q", "f16"]) == 0
    [path] = list(out.glob("*.gguf"))
    prompts = [ChatRequest.user(p) for p in ("How do I bake bread?", "What is 12 plus 30?")]
    hf = make_engine("hf", model=str(run_model)).generate(prompts, max_new_tokens=8)
    cpp = make_engine("llamacpp", model=str(path)).generate(prompts, max_new_tokens=8)
    assert [c[0].text for c in cpp] == [c[0].text for c in hf]
