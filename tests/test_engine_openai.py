"""The openai engine against a fake server that injects 429s, 5xx, hangs, bad JSON and drops."""

import asyncio
import collections
import json
import logging
import os
import socket
import sys
import time
import types
from datetime import UTC, datetime

import pytest

from saro.engines import ChatRequest, GenerationCache, make_engine
from saro.engines.retry import Backoff, parse_retry_after, sample_seed
from saro.errors import SaroError
from saro.security import MASK, redact

FAST = {"backoff": 0.01, "max_backoff": 0.05, "timeout": 0.5}
KEY = "sk-test-DO-NOT-LEAK-0123456789"


# `openai_server` (the fake server of fake_openai_server.py, running) is in tests/conftest.py
def engine_for(srv, **opts):
    return make_engine("openai", model="fake-model", base_url=srv.url, **{**FAST, **opts})


class FakeTokenizer:
    """A chat template simple enough to write out in the assertions."""

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert tokenize is False and add_generation_prompt is True
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"

    def encode(self, text, add_special_tokens=False):
        return text.split()


# -- faults ---------------------------------------------------------------------------------------
def test_twenty_requests_under_faults_lose_nothing_and_duplicate_nothing(openai_server, tmp_path):
    # every job meets up to two faults before it is answered: a fixed schedule per job, so the
    # test never depends on which worker the server happens to hear first
    faults = ["429", "500", "hang:2", "malformed", "drop", "nochoices", "503", "429:0", "502"]
    schedule = {}

    def rule(path, body):
        job = (body["messages"][-1]["content"], body["seed"])
        if job not in schedule:
            k = len(schedule)
            schedule[job] = [faults[k % 9], faults[(k + 4) % 9]][: k % 3]
        return schedule[job].pop(0) if schedule[job] else "ok"

    openai_server.rule = rule
    cache = GenerationCache(tmp_path / "gen.jsonl")
    engine = engine_for(openai_server, concurrency=4, max_retries=4, timeout=0.5, cache=cache)
    prompts = [f"prompt {i}" for i in range(20)]

    out = engine.generate([ChatRequest.user(p) for p in prompts], n=2, temperature=0.7, seed=5)

    served = collections.Counter(s.action for s in openai_server.seen)
    assert set(served) == {"ok", *faults} and served["ok"] >= 40  # every fault kind was served
    assert [[c.text for c in row] for row in out] == [
        [f"echo:{p}|seed={sample_seed(5, j)}" for j in range(2)] for p in prompts
    ]
    assert all(c.index == j for row in out for j, c in enumerate(row))
    cache.close()
    lines = [json.loads(line) for line in (tmp_path / "gen.jsonl").read_text().splitlines()]
    assert len(lines) == len({e["key"] for e in lines}) == 40

    # a rerun is served entirely from the cache: the server sees nothing new
    before = len(openai_server.seen)
    again = engine_for(openai_server, cache=GenerationCache(tmp_path / "gen.jsonl"))
    rerun = again.generate([ChatRequest.user(p) for p in prompts], n=2, temperature=0.7, seed=5)
    assert len(openai_server.seen) == before
    assert all(c.cached for row in rerun for c in row)


def test_retry_after_is_honoured(openai_server):
    openai_server.faults.append("429:1")
    engine_for(openai_server).generate([ChatRequest.user("hi")], progress=False)
    first, second = openai_server.seen
    waited = second.time - first.time
    assert 0.95 <= waited < 2.0  # the backoff alone would have waited ~0.01 s


@pytest.mark.parametrize(
    "headers, seconds",
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "Wed, 01 Jan 2031 00:00:30 GMT"}, 30.0),
        ({"Retry-After": "Tue, 31 Dec 2030 23:59:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({}, None),
    ],
)
def test_parse_retry_after(headers, seconds):
    assert parse_retry_after(headers, now=datetime(2031, 1, 1, tzinfo=UTC)) == seconds


def test_backoff_grows_is_jittered_capped_and_yields_to_retry_after():
    policy = Backoff(base=1.0, cap=4.0, max_retry_after=10.0)
    for attempt, full in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 4.0)]:
        waits = {policy.delay(attempt) for _ in range(20)}
        assert all(full / 2 <= w <= full for w in waits) and len(waits) > 1
    assert policy.delay(0, retry_after=7.0) == 7.0
    assert policy.delay(0, retry_after=3600.0) == 10.0


def test_a_permanently_failing_job_ends_in_one_error_after_bounded_retries(openai_server, tmp_path):
    openai_server.rule = lambda path, body: (
        "500" if "BAD" in body["messages"][-1]["content"] else None
    )
    cache = GenerationCache(tmp_path / "gen.jsonl")
    prompts = ["a", "BAD 1", "b", "c", "BAD 2", "d"]
    engine = engine_for(openai_server, max_retries=2, cache=cache)

    with pytest.raises(SaroError) as err:
        engine.generate([ChatRequest.user(p) for p in prompts], progress=False)

    msg = str(err.value)
    assert "2 of 6 requests to " + openai_server.url in msg and "HTTP 500" in msg
    assert "kept in the generation cache" in msg and "resumes" in msg
    assert sum("BAD" in s.body["messages"][-1]["content"] for s in openai_server.seen) == 2 * 3
    assert len(cache) == 4

    # once the server recovers, a rerun asks only for the two missing jobs
    openai_server.rule = None
    before = len(openai_server.seen)
    out = engine.generate([ChatRequest.user(p) for p in prompts], progress=False)
    assert len(openai_server.seen) - before == 2
    assert [row[0].cached for row in out] == [True, False, True, True, False, True]


def test_an_unreachable_endpoint_fails_fast_with_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nothing listens there
    url = f"http://127.0.0.1:{port}/v1"
    engine = make_engine("openai", model="m", base_url=url, max_retries=2, backoff=0.01)
    start = time.monotonic()
    with pytest.raises(SaroError, match=rf"1 of 1 requests to {url} .*connect"):
        engine.generate([ChatRequest.user("hi")], progress=False)
    assert time.monotonic() - start < 3


@pytest.mark.parametrize("status", [401, 404])
def test_auth_and_routing_errors_stop_the_run_at_once(openai_server, monkeypatch, status):
    openai_server.rule = lambda path, body: str(status)
    engine = engine_for(openai_server, concurrency=2, api_key_env="SARO_TEST_KEY")
    with pytest.raises(SaroError, match=rf"HTTP {status}") as err:
        engine.generate([ChatRequest.user(f"p{i}") for i in range(30)], progress=False)
    assert len(openai_server.seen) <= 2  # no retries, no further jobs
    if status == 401:
        assert "$SARO_TEST_KEY" in str(err.value)


def test_a_rejected_request_is_not_retried_and_the_error_suggests_a_prefill_mode(openai_server):
    openai_server.rule = lambda path, body: "400"
    with pytest.raises(SaroError, match="prefill_mode='completions'"):
        engine_for(openai_server).generate(
            [ChatRequest.user("hi", prefill="<think>")], progress=False
        )
    assert len(openai_server.seen) == 1


# -- what is sent ---------------------------------------------------------------------------------
def test_sampling_params_pass_through_with_one_request_and_seed_per_sample(openai_server):
    request = ChatRequest.user("hi", system="be brief")
    out = engine_for(openai_server).generate(
        [request], n=3, temperature=0.7, top_p=0.9, max_new_tokens=17, seed=7, stop=["</s>"]
    )
    bodies = [s.body for s in openai_server.seen]
    assert len(bodies) == 3 and {b["n"] for b in bodies} == {1}
    assert sorted(b["seed"] for b in bodies) == sorted(sample_seed(7, j) for j in range(3))
    assert {(b["temperature"], b["top_p"], b["max_tokens"], tuple(b["stop"])) for b in bodies} == {
        (0.7, 0.9, 17, ("</s>",))
    }
    assert bodies[0]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert [(c.prompt_tokens, c.finish_reason) for c in out[0]] == [(11, "stop")] * 3


@pytest.mark.parametrize(
    "mode, tokenizer, path",
    [
        ("continue_final_message", None, "/v1/chat/completions"),
        ("auto", None, "/v1/chat/completions"),
        ("completions", FakeTokenizer(), "/v1/completions"),
        ("auto", FakeTokenizer(), "/v1/completions"),
    ],
)
def test_prefill_is_sent_the_way_the_mode_says(openai_server, mode, tokenizer, path):
    engine = engine_for(openai_server, prefill_mode=mode, tokenizer=tokenizer)
    req = ChatRequest.user("Explain X.", prefill="<think>\nStep one.")
    out = engine.generate([req, ChatRequest.user("no prefill")], progress=False)

    sent = {
        s.body.get("prompt") or s.body["messages"][-1]["content"]: s for s in openai_server.seen
    }
    prefilled = next(
        s for s in openai_server.seen if s.path == path and "no prefill" not in str(s.body)
    )
    if path == "/v1/completions":
        assert prefilled.body["prompt"] == "<user>Explain X.<assistant><think>\nStep one."
        assert "messages" not in prefilled.body
    else:
        assert prefilled.body["messages"][-1] == {"role": "assistant", "content": req.prefill}
        assert prefilled.body["continue_final_message"] is True
        assert prefilled.body["add_generation_prompt"] is False
    # a request without a prefill is a plain chat request in every mode
    plain = sent["no prefill"]
    assert plain.path == "/v1/chat/completions" and "continue_final_message" not in plain.body
    assert out[1][0].text.startswith("echo:no prefill")


@pytest.fixture
def fake_transformers(monkeypatch):
    """``transformers.AutoTokenizer`` loading FakeTokenizer from any existing folder (importing
    the real library costs seconds; the slow test below does it for real)."""
    loaded = []

    def from_pretrained(path):
        if not os.path.isdir(path):
            raise OSError(f"no tokenizer in {path}")
        loaded.append(path)
        return FakeTokenizer()

    module = types.ModuleType("transformers")
    module.AutoTokenizer = types.SimpleNamespace(from_pretrained=from_pretrained)
    monkeypatch.setitem(sys.modules, "transformers", module)
    return loaded


def test_a_tokenizer_folder_is_loaded_once_and_renders(openai_server, tmp_path, fake_transformers):
    engine = engine_for(openai_server, prefill_mode="completions", tokenizer=str(tmp_path))
    reqs = [ChatRequest.user("hi", prefill="<think>"), ChatRequest.user("yo", prefill="<think>")]
    engine.generate(reqs, progress=False)
    assert fake_transformers == [str(tmp_path)]
    assert sorted(s.body["prompt"] for s in openai_server.seen) == [
        "<user>hi<assistant><think>",
        "<user>yo<assistant><think>",
    ]


def test_a_missing_tokenizer_folder_is_a_clear_error(openai_server, tmp_path, fake_transformers):
    engine = engine_for(openai_server, prefill_mode="completions", tokenizer=str(tmp_path / "nope"))
    with pytest.raises(SaroError, match="Cannot load the tokenizer"):
        engine.generate([ChatRequest.user("hi", prefill="<think>")], progress=False)


@pytest.mark.slow
def test_completions_mode_renders_with_a_real_hf_tokenizer_folder(openai_server, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = Tokenizer(models.WordLevel({"[UNK]": 0, "hi": 1}, unk_token="[UNK]"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="[UNK]")
    tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
        "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    tok.save_pretrained(tmp_path / "tok")

    engine = engine_for(openai_server, prefill_mode="completions", tokenizer=str(tmp_path / "tok"))
    engine.generate([ChatRequest.user("hi", prefill="<think>")], progress=False)
    expected = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>"
    assert openai_server.seen[0].body["prompt"] == expected
    assert engine.render_key(ChatRequest.user("hi", prefill="<think>")) == expected


def test_completions_mode_needs_a_tokenizer():
    with pytest.raises(SaroError, match="tokenizer="):
        make_engine("openai", model="m", prefill_mode="completions")


def test_missing_usage_is_estimated_and_length_is_reported(openai_server):
    openai_server.faults.extend(["nousage", "length"])
    engine = engine_for(openai_server, tokenizer=FakeTokenizer(), concurrency=1)
    out = engine.generate([ChatRequest.user("one two"), ChatRequest.user("x")], progress=False)
    estimated, cut = out[0][0], out[1][0]
    assert estimated.completion_tokens == len(estimated.text.split())  # counted by the tokenizer
    assert estimated.prompt_tokens > 0
    assert cut.finish_reason == "length"


def test_concurrency_is_limited(openai_server):
    openai_server.rule = lambda path, body: "hang:0.15"
    engine_for(openai_server, concurrency=3, timeout=2).generate(
        [ChatRequest.user(f"p{i}") for i in range(9)], progress=False
    )
    assert 2 <= openai_server.max_inflight <= 3


def test_generate_works_inside_a_running_event_loop(openai_server):
    async def notebook_cell():
        return engine_for(openai_server).generate([ChatRequest.user("hi")], progress=False)

    assert asyncio.run(notebook_cell())[0][0].text.startswith("echo:hi")


# -- security -------------------------------------------------------------------------------------
def test_the_api_key_is_sent_as_bearer_but_stored_nowhere(
    openai_server, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("SARO_TEST_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    openai_server.faults.extend(["500", "429:0"])  # so retry logging happens
    cache = GenerationCache(tmp_path / "gen.jsonl")
    engine = engine_for(openai_server, api_key_env="SARO_TEST_KEY", cache=cache)
    engine.generate([ChatRequest.user("hi")], n=2, progress=False)
    cache.close()

    assert {s.headers["Authorization"] for s in openai_server.seen} == {f"Bearer {KEY}"}
    places = {
        "identity": engine.identity(),
        "repr": repr(engine),
        "attributes": repr(vars(engine)),
        "cache file": (tmp_path / "gen.jsonl").read_text(),
        "logs": caplog.text,
    }
    assert caplog.text  # the retries were logged...
    assert [name for name, text in places.items() if KEY in text] == []  # ...without the key
    assert engine.identity() == f"openai:{openai_server.url}|fake-model"


def test_a_server_echoing_the_key_in_an_error_does_not_leak_it(openai_server, monkeypatch):
    monkeypatch.setenv("SARO_TEST_KEY", KEY)
    openai_server.rule = lambda path, body: "leak"
    with pytest.raises(SaroError, match=r"bad credentials Bearer \*\*\*") as err:
        engine_for(openai_server, api_key_env="SARO_TEST_KEY").generate([ChatRequest.user("hi")])
    assert KEY not in str(err.value)


def test_a_base_url_without_v1_is_a_clear_error(openai_server):
    root = openai_server.url.removesuffix("/v1")
    engine = make_engine("openai", model="m", base_url=root, **FAST)
    with pytest.raises(SaroError, match="HTTP 404.*end it in /v1"):
        engine.generate([ChatRequest.user("hi")], progress=False)


def test_no_authorization_header_without_a_key(openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    engine_for(openai_server).generate([ChatRequest.user("hi")], progress=False)
    assert "Authorization" not in openai_server.seen[0].headers


@pytest.mark.parametrize(
    "opts, match",
    [
        ({"api_key": KEY}, "reads API keys only from the environment"),
        ({"openai_api_key": KEY}, "reads API keys only from the environment"),
        ({"api_key_env": KEY}, "must name an environment variable"),
        ({"temprature": 0.5}, "Unknown option"),
        ({"prefill_mode": "magic"}, "Unknown prefill_mode"),
    ],
)
def test_bad_options_are_refused(opts, match):
    with pytest.raises(SaroError, match=match) as err:
        make_engine("openai", model="m", **opts)
    assert KEY not in str(err.value)


def test_redact_masks_secrets_and_keeps_the_rest():
    config = {
        "engine": {
            "name": "openai",
            "api_key": "abc",
            "api_key_env": "OPENAI_API_KEY",
            "token_env": "sk-pasted-by-mistake",
            "OpenAIApiKey": "abc",
            "max_new_tokens": 64,
            "headers": {"Authorization": "Bearer abc"},
        },
        "hf_token": "hf_abcdefabcdefabcdefabcd",
        "judge": [{"client_secret": "s", "password": "p", "tokenizer": "gpt2", "token": None}],
        "tokenizer": {"pad_token": "<pad>", "eos_token": "</s>", "tokens": 12},
        "note": "sk-abcdefghijklmnop",
        "seed": 3,
    }
    out = redact(config)
    assert out == {
        "engine": {
            "name": "openai",
            "api_key": MASK,
            "api_key_env": "OPENAI_API_KEY",
            "token_env": MASK,
            "OpenAIApiKey": MASK,
            "max_new_tokens": 64,
            "headers": {"Authorization": MASK},
        },
        "hf_token": MASK,
        "judge": [{"client_secret": MASK, "password": MASK, "tokenizer": "gpt2", "token": None}],
        "tokenizer": {"pad_token": "<pad>", "eos_token": "</s>", "tokens": 12},
        "note": MASK,
        "seed": 3,
    }
    assert config["engine"]["api_key"] == "abc"  # the input is untouched
