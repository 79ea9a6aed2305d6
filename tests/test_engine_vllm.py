"""The vllm engine against a fake ``vllm`` module: the calls it makes and how outputs map back."""

import sys

import pytest

from fake_vllm import FakeLLM  # the `fake_vllm` fixture that installs it: tests/conftest.py
from saro.engines import ChatRequest, GenerationCache, make_engine
from saro.engines.retry import sample_seed
from saro.errors import SaroError


def test_a_missing_vllm_says_to_install_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` fail
    with pytest.raises(SaroError, match="Install the vllm extra"):
        make_engine("vllm", model="m")


def test_the_model_loads_lazily_with_the_engine_options(fake_vllm):
    engine = make_engine("vllm", model="org/m", tensor_parallel_size=2, dtype="bfloat16")
    assert FakeLLM.instances == []  # nothing loads until generation
    assert engine.identity() == 'vllm:org/m|{"dtype": "bfloat16"}'
    engine.generate([ChatRequest.user("hi")], progress=False)
    (llm,) = FakeLLM.instances
    assert llm.model == "org/m" and llm.kwargs == {"tensor_parallel_size": 2, "dtype": "bfloat16"}


def test_chat_calls_one_seeded_sample_per_job_and_maps_outputs(fake_vllm):
    engine = make_engine("vllm", model="m")
    reqs = [ChatRequest.user("first", system="sys"), ChatRequest.user("second LONG")]
    out = engine.generate(
        reqs, n=2, temperature=0.8, top_p=0.9, max_new_tokens=33, seed=4, stop=["</s>"]
    )
    (call,) = FakeLLM.instances[0].calls
    kind, messages, sps, add_generation_prompt, continue_final_message = call
    assert kind == "chat" and add_generation_prompt is True and continue_final_message is False
    assert messages[0] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "first"},
    ]
    assert len(messages) == 4
    seeds = [sample_seed(4, j) for j in range(2)]
    assert [sp.seed for sp in sps] == seeds * 2
    assert {(sp.n, sp.temperature, sp.top_p, sp.max_tokens, tuple(sp.stop)) for sp in sps} == {
        (1, 0.8, 0.9, 33, ("</s>",))
    }
    assert [[c.text for c in row] for row in out] == [
        [f"first#{s}" for s in seeds],
        [f"LONG#{s}" for s in seeds],
    ]
    first = out[0][0]
    assert (first.prompt_tokens, first.completion_tokens, first.finish_reason) == (2, 3, "stop")
    assert {c.finish_reason for c in out[1]} == {"length"}


def test_prefill_continues_the_final_assistant_message(fake_vllm):
    engine = make_engine("vllm", model="m")
    out = engine.generate(
        [ChatRequest.user("plain"), ChatRequest.user("q", prefill="<think> step")], progress=False
    )
    plain, prefilled = FakeLLM.instances[0].calls
    assert plain[3:] == (True, False)
    assert prefilled[0] == "chat" and prefilled[3:] == (False, True)
    assert prefilled[1] == [
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think> step"}]
    ]
    assert out[0][0].text.startswith("plain#") and out[1][0].text.startswith("step#")


def test_prefill_as_a_rendered_prompt(fake_vllm):
    engine = make_engine("vllm", model="m", prefill_mode="prompt")
    engine.generate([ChatRequest.user("q", prefill="<think> step")], progress=False)
    ((kind, prompts, sps),) = FakeLLM.instances[0].calls
    assert kind == "generate" and prompts == ["<user>q<assistant><think> step"]
    assert engine.render_key(ChatRequest.user("q", prefill="<think> step")) == prompts[0]


def test_results_are_cached_chunk_by_chunk_and_reused(fake_vllm, tmp_path):
    cache = GenerationCache(tmp_path / "gen.jsonl")
    engine = make_engine("vllm", model="m", chunk_size=2, cache=cache)
    reqs = [ChatRequest.user(f"p{i}") for i in range(5)]
    engine.generate(reqs, progress=False)
    assert [len(c[1]) for c in FakeLLM.instances[0].calls] == [2, 2, 1]
    assert len(cache) == 5
    again = engine.generate(reqs, progress=False)
    assert all(row[0].cached for row in again) and len(FakeLLM.instances[0].calls) == 3


@pytest.mark.parametrize(
    "opts, match",
    [
        ({"prefill_mode": "magic"}, "Unknown prefill_mode"),
        ({"hf_token": "hf_abc"}, "only from the environment"),
    ],
)
def test_bad_options_are_refused(fake_vllm, opts, match):
    with pytest.raises(SaroError, match=match):
        make_engine("vllm", model="m", **opts)
