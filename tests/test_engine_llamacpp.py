"""The llamacpp engine over a fake ``llama_cpp`` module (the real one needs a source build):
the GGUF's own chat template renders the prompt, the prefill follows it, greedy is temperature
0, samples get per-index seeds, and a missing extra or a wrong file is one clear message."""

from __future__ import annotations

import sys

import pytest

from saro.engines import ChatRequest, make_engine
from saro.errors import SaroError


@pytest.fixture
def fake_llama_cpp(monkeypatch):
    import fake_llama_cpp

    fake_llama_cpp.install(monkeypatch)
    return fake_llama_cpp.Llama


@pytest.fixture
def gguf_file(tmp_path):
    path = tmp_path / "m.q8_0.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_the_prompt_is_the_files_chat_template_plus_the_prefill(fake_llama_cpp, gguf_file):
    engine = make_engine("llamacpp", model=str(gguf_file))
    [[one], samples] = engine.generate(
        [ChatRequest.user("Hi", prefill="<think>\n"), ChatRequest.user("Yo")],
        n=1, temperature=0.0, max_new_tokens=16,
    )  # fmt: skip
    prompt, kw = fake_llama_cpp.calls[0]
    assert prompt == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n"
    assert kw["temperature"] == 0.0 and kw["max_tokens"] == 16
    assert one.text == " <think> #" + str(kw["seed"] % 97) and one.completion_tokens == 2
    assert engine.count_tokens("a b c") == 3


def test_samples_get_their_own_seeds(fake_llama_cpp, gguf_file):
    engine = make_engine("llamacpp", model=str(gguf_file))
    [samples] = engine.generate([ChatRequest.user("Hi")], n=3, temperature=1.0, seed=5)
    assert len({c.text for c in samples}) == 3


def test_a_missing_extra_or_a_non_gguf_file_is_one_clear_message(monkeypatch, tmp_path, gguf_file):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails
    with pytest.raises(SaroError, match="needs llama-cpp-python"):
        make_engine("llamacpp", model=str(gguf_file))
    with pytest.raises(SaroError, match="is not a GGUF file"):
        make_engine("llamacpp", model=str(tmp_path))


def test_saro_chat_takes_the_engine_option(monkeypatch, fake_llama_cpp, gguf_file):
    from saro.cli import chat

    with pytest.raises(SaroError, match="Unknown chat engine 'onnx'"):
        chat.make_chat_engine(str(gguf_file), "onnx")
    assert chat.make_chat_engine(str(gguf_file), "llamacpp").name == "llamacpp"
