"""Fixtures shared by the test files.

* ``tiny``: a tiny random 2-layer Llama chat model folder (:mod:`tiny_models`), built once per
  session; tests that change a model copy it first.
* ``tiny_tokenizer`` / ``tiny_model_dir``: the SmolLM2-like tokenizer and tiny Llama the training
  tests use (:mod:`train_helpers`), built once per session.
* ``one_thread``: torch on one thread for a module; opt in with
  ``pytestmark = pytest.mark.usefixtures("one_thread")``.
* ``openai_server``: the fake OpenAI-compatible server (:mod:`fake_openai_server`), running.
* ``fake_vllm``: a fake ``vllm`` module in ``sys.modules`` (:mod:`fake_vllm`).

Heavy imports (torch, transformers) happen inside the fixtures, so test files that use none of
them do not pay for them.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def one_thread():
    """Tiny matmuls gain nothing from threads, and OpenMP threads stall on a busy machine."""
    torch = pytest.importorskip("torch")

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    """A tiny random Llama chat model (seed 0) in a folder shared by the whole session."""
    from tiny_models import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_tokenizer():
    """A SmolLM2-like ChatML tokenizer built offline (see :mod:`train_helpers`)."""
    from train_helpers import build_tokenizer

    return build_tokenizer()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_tokenizer) -> Path:
    """A tiny random Llama saved with ``tiny_tokenizer``, for the training tests."""
    from train_helpers import build_model_dir

    return build_model_dir(tmp_path_factory.mktemp("tiny-llama"), tiny_tokenizer)


@pytest.fixture
def openai_server():
    """The fake OpenAI-compatible server, serving on 127.0.0.1 for one test."""
    from fake_openai_server import FakeOpenAIServer

    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture
def fake_vllm(monkeypatch):
    """A fake ``vllm`` module for one test; ``fake_vllm.FakeLLM.instances`` lists its LLMs."""
    from fake_vllm import install

    return install(monkeypatch)
