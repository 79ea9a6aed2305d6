"""The engine contract: every registered engine keeps the promises of ``saro.engines.base``.

Each name in ``ENGINES`` has a builder here that makes a working instance (the hf engine on the
tiny model, the openai engine against the fake server, the vllm engine on the fake ``vllm``
module) and says what its back end answers a request with. Every engine must then:

* name its model with a non-empty ``identity()``;
* return, from ``generate(requests, n=N, ...)``, one row per request with N completions
  (``index`` 0..N-1, ``text`` a str, ``finish_reason`` stop or length, int token counts);
* give, for a request with a prefill, only what follows the prefill (never the prefill again);
* with a ``GenerationCache``, serve a second identical call from the cache: ``cached`` True, the
  same completions, and no back-end call;
* count tokens as an int >= 0, or None when it has no tokenizer.

A newly registered engine fails ``test_every_registered_engine_has_a_builder`` until it has an
entry in ``CASES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from saro.engines import ChatRequest, Completion, GenerationCache, make_engine
from saro.engines.base import BaseEngine
from saro.engines.registry import ENGINES
from saro.engines.retry import sample_seed

N = 2
MAX_NEW = 6
SEED = 3
PREFILL = "<think>Let me reason"
REQUESTS = [
    ChatRequest.user("How do I bake bread?"),
    ChatRequest.user("What is 12 plus 30?", system="Be brief."),
    ChatRequest.user("Hi", prefill=PREFILL),
]


def _contents(request: ChatRequest) -> list[str]:
    return [m["content"] for m in request.messages] + ([request.prefill] if request.prefill else [])


# -- one builder per engine: a working instance, and what its back end answers -----------------
@dataclass(frozen=True)
class Case:
    """``build(pytest_request, cache)`` makes the engine; ``answer(engine, request, index)`` is
    the text its back end continues ``request`` with for sample ``index`` (greedy, SEED)."""

    build: Callable[[pytest.FixtureRequest, GenerationCache | None], BaseEngine]
    answer: Callable[[BaseEngine, ChatRequest, int], str]


def _mock_script(request: ChatRequest, index: int) -> str:
    return f"{_contents(request)[-1].split()[-1]} #{index}"  # two words: under MAX_NEW


def _hf(fixtures: pytest.FixtureRequest, cache: GenerationCache | None) -> BaseEngine:
    fixtures.getfixturevalue("one_thread")
    return make_engine("hf", model=str(fixtures.getfixturevalue("tiny")), cache=cache)


def _hf_answer(engine, request: ChatRequest, index: int) -> str:
    """Plain greedy ``model.generate`` from the rendered prompt (prefill included)."""
    tok = engine.tokenizer
    ids = tok(engine.render(request), add_special_tokens=False, return_tensors="pt")
    out = engine.model.generate(
        **ids,
        max_new_tokens=MAX_NEW,
        do_sample=False,
        eos_token_id=sorted(engine.eos_ids()),
        pad_token_id=tok.pad_token_id,
    )
    return tok.decode(out[0, ids.input_ids.shape[1] :], skip_special_tokens=True)


def _openai(fixtures: pytest.FixtureRequest, cache: GenerationCache | None) -> BaseEngine:
    server = fixtures.getfixturevalue("openai_server")
    return make_engine("openai", model="fake-model", base_url=server.url, cache=cache)


def _openai_answer(engine, request: ChatRequest, index: int) -> str:
    from fake_openai_server import reply_text

    # a prefill goes as a final assistant message (continue_final_message), which the fake echoes
    body = {"messages": [{"content": _contents(request)[-1]}], "seed": sample_seed(SEED, index)}
    return reply_text("/v1/chat/completions", body)


def _vllm(fixtures: pytest.FixtureRequest, cache: GenerationCache | None) -> BaseEngine:
    fixtures.getfixturevalue("fake_vllm")
    return make_engine("vllm", model="fake-model", cache=cache)


def _vllm_answer(engine, request: ChatRequest, index: int) -> str:
    from fake_vllm import reply_text

    return reply_text(" ".join(_contents(request)), sample_seed(SEED, index))


def _llamacpp(fixtures: pytest.FixtureRequest, cache: GenerationCache | None) -> BaseEngine:
    import fake_llama_cpp

    fake_llama_cpp.install(fixtures.getfixturevalue("monkeypatch"))
    path = fixtures.getfixturevalue("tmp_path") / "m.gguf"
    path.write_bytes(b"GGUF")
    return make_engine("llamacpp", model=str(path), cache=cache)


def _llamacpp_answer(engine, request: ChatRequest, index: int) -> str:
    from fake_llama_cpp import reply_text

    return reply_text(engine.render_key(request), sample_seed(SEED, index))


CASES: dict[str, Case] = {
    "mock": Case(
        lambda fixtures, cache: make_engine("mock", script=_mock_script, cache=cache),
        lambda engine, request, index: _mock_script(request, index),
    ),
    "hf": Case(_hf, _hf_answer),
    "openai": Case(_openai, _openai_answer),
    "vllm": Case(_vllm, _vllm_answer),
    "llamacpp": Case(_llamacpp, _llamacpp_answer),
}


def generate(engine: BaseEngine) -> list[list[Completion]]:
    return engine.generate(REQUESTS, n=N, max_new_tokens=MAX_NEW, seed=SEED, progress=False)


@pytest.fixture(params=sorted(ENGINES))
def name(request) -> str:
    return request.param


# -- the contract ------------------------------------------------------------------------------
def test_every_registered_engine_has_a_builder():
    assert set(CASES) == set(ENGINES), "add a Case for each registered engine to CASES"


def test_identity_is_a_non_empty_string(name, request):
    identity = CASES[name].build(request, None).identity()
    assert isinstance(identity, str) and identity.strip()


def test_generate_gives_n_completions_per_request_in_order(name, request):
    case = CASES[name]
    engine = case.build(request, None)
    out = generate(engine)
    assert isinstance(out, list) and len(out) == len(REQUESTS)
    for req, row in zip(REQUESTS, out, strict=True):
        assert len(row) == N
        for index, c in enumerate(row):
            assert isinstance(c, Completion)
            assert c.index == index and isinstance(c.text, str)
            assert c.finish_reason in ("stop", "length")
            for count in (c.completion_tokens, c.prompt_tokens):
                assert type(count) is int and count >= 0
            assert c.cached is False
            assert c.text == case.answer(engine, req, index)


def test_a_prefill_request_gets_only_what_follows_the_prefill(name, request):
    case = CASES[name]
    engine = case.build(request, None)
    prefilled = ChatRequest.user("Hi", prefill=PREFILL)
    [row] = engine.generate([prefilled], n=N, max_new_tokens=MAX_NEW, seed=SEED, progress=False)
    for index, c in enumerate(row):
        assert not c.text.startswith(PREFILL)
        assert c.text == case.answer(engine, prefilled, index)


def test_a_second_identical_call_is_served_from_the_cache(name, request, tmp_path, monkeypatch):
    cache = GenerationCache(tmp_path / "gen.jsonl")
    engine = CASES[name].build(request, cache)
    first = generate(engine)
    assert not any(c.cached for row in first for c in row)
    monkeypatch.setattr(engine, "_run", lambda *a, **k: pytest.fail("a cached job was rerun"))
    again = generate(engine)
    assert all(c.cached for row in again for c in row)
    assert [[c.to_dict() for c in row] for row in again] == [
        [c.to_dict() for c in row] for row in first
    ]
    cache.close()


def test_count_tokens_is_an_int_or_none(name, request):
    engine = CASES[name].build(request, None)
    for text in ("How do I bake bread?", ""):
        count = engine.count_tokens(text)
        assert count is None or (type(count) is int and count >= 0)
    assert engine.count_tokens("") in (0, None)
