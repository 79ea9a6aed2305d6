"""The hf engine on a tiny random Llama: exactness of batching, stopping, sampling and caching."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from saro.engines import ChatRequest, GenerationCache, make_engine  # noqa: E402
from saro.errors import SaroError  # noqa: E402

PROMPTS = [
    "How do I bake bread?",
    "What is 12 plus 30?",
    "Hi",
    "The quick brown fox jumps over the lazy dog. Safety first: think step by step.",
    "Sure",
    "What is 12 plus 30? The answer is",
]
NO_EOS = {10**9}  # random weights emit EOS at random; most tests want full-length rows

pytestmark = pytest.mark.usefixtures("one_thread")  # `one_thread` and `tiny`: tests/conftest.py


def engine(folder, *, eos=NO_EOS, **opts):
    eng = make_engine("hf", model=str(folder), **opts)
    if eos is not None:
        eng.eos_ids = lambda: set(eos)
    return eng


def reqs(prompts=PROMPTS):
    return [ChatRequest.user(p) for p in prompts]


def texts(out):
    return [[c.text for c in row] for row in out]


def reference_greedy(eng, request, max_new):
    """What plain ``model.generate`` produces for one request alone."""
    ids = eng.tokenizer(eng.render(request), add_special_tokens=False, return_tensors="pt")
    out = eng.model.generate(
        **ids, max_new_tokens=max_new, do_sample=False, eos_token_id=None, pad_token_id=0
    )
    return out[0, ids.input_ids.shape[1] :].tolist()


def spy_prefill_passes(monkeypatch) -> list:
    """Record the prompts of every prefill forward pass the batcher makes."""
    from saro.engines import hf_batch

    passes = []
    real = hf_batch.ContinuousBatcher._prefill_bucket
    monkeypatch.setattr(
        hf_batch.ContinuousBatcher,
        "_prefill_bucket",
        lambda self, prompts: passes.append(prompts) or real(self, prompts),
    )
    return passes


@pytest.mark.parametrize("prepack", [None, False], ids=["packed", "plain"])
@pytest.mark.parametrize("batch_size", [1, 2, 4, 16])
def test_batched_greedy_equals_plain_generate_one_at_a_time(tiny, batch_size, prepack):
    eng = engine(tiny, batch_size=batch_size, prepack=prepack)
    plain = engine(tiny, prepack=False)  # the reference: model.generate on unpacked nn.Linear
    out = eng.generate(reqs(), max_new_tokens=10, progress=False)
    for request, [completion] in zip(reqs(), out, strict=True):
        want = plain.tokenizer.decode(
            reference_greedy(plain, request, 10), skip_special_tokens=True
        )
        assert completion.text == want
        assert completion.finish_reason == "length"
        assert completion.completion_tokens == 10


def test_token_counts_are_real(tiny):
    eng = engine(tiny)
    [[c]] = eng.generate(reqs(["Hi"]), max_new_tokens=5, progress=False)
    rendered = eng.render(ChatRequest.user("Hi"))
    assert c.prompt_tokens == len(eng.tokenizer(rendered, add_special_tokens=False).input_ids)
    assert c.completion_tokens == 5


def test_eos_stops_only_its_row_and_others_are_unaffected(tiny):
    eng = engine(tiny, batch_size=3)
    free = eng.generate(reqs(), max_new_tokens=12, progress=False)
    first_ids = reference_greedy(eng, reqs()[0], 12)
    eos = first_ids[3]  # make the 4th token of prompt 0 an end-of-sequence token
    stopped = engine(tiny, eos={eos}, batch_size=3).generate(
        reqs(), max_new_tokens=12, progress=False
    )
    c = stopped[0][0]
    assert c.finish_reason == "stop"
    assert c.completion_tokens == first_ids.index(eos) + 1
    assert c.text == eng.tokenizer.decode(first_ids[: first_ids.index(eos)])
    for row_free, row_stopped in zip(free, stopped, strict=True):
        if row_stopped[0].finish_reason == "length":  # rows that never met that token
            assert row_stopped[0].text == row_free[0].text


def test_stop_strings_cut_the_text_and_end_the_row(tiny):
    eng = engine(tiny)
    [[full]] = eng.generate(reqs(["Hi"]), max_new_tokens=12, progress=False)
    stop = full.text[4:6]
    assert stop, "the tiny model produced too little text for this test"
    [[cut]] = eng.generate(reqs(["Hi"]), max_new_tokens=12, stop=[stop], progress=False)
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.index(stop)]
    assert cut.completion_tokens < 12


def test_prefill_is_continued_exactly(tiny):
    eng = engine(tiny)
    plain = ChatRequest.user("How do I bake bread?")
    prefilled = ChatRequest.user("How do I bake bread?", prefill="<think>Let me")
    assert eng.render(prefilled) == eng.render(plain) + "<think>Let me"
    [[c]] = eng.generate([prefilled], max_new_tokens=8, progress=False)
    want = eng.tokenizer.decode(reference_greedy(eng, prefilled, 8))
    assert c.text == want
    assert not c.text.startswith("<think>")


def test_samples_differ_and_repeat_with_the_same_seed(tiny):
    eng = engine(tiny, batch_size=4)
    kw = dict(n=4, temperature=1.0, max_new_tokens=8, progress=False)
    a = texts(eng.generate(reqs()[:2], seed=1, **kw))
    b = texts(eng.generate(reqs()[:2], seed=1, **kw))
    c = texts(eng.generate(reqs()[:2], seed=2, **kw))
    assert a == b
    assert a != c
    assert all(len(set(row)) > 1 for row in a)


def test_a_sample_does_not_depend_on_its_batch_mates(tiny):
    kw = dict(n=2, temperature=1.0, max_new_tokens=8, seed=5, progress=False)
    together = texts(engine(tiny, batch_size=8).generate(reqs(), **kw))
    alone = texts(engine(tiny, batch_size=1).generate(reqs()[2:3], **kw))
    assert together[2] == alone[0]


def test_tiny_top_p_is_greedy(tiny):
    eng = engine(tiny)
    greedy = texts(eng.generate(reqs(), max_new_tokens=6, progress=False))
    nucleus = eng.generate(reqs(), temperature=1.0, top_p=1e-6, max_new_tokens=6, progress=False)
    assert texts(nucleus) == greedy


def test_memory_cap_splits_the_batch_without_changing_outputs(tiny, monkeypatch):

    kw = dict(max_new_tokens=6, progress=False)
    roomy = texts(engine(tiny, batch_size=8).generate(reqs(), **kw))
    cramped = engine(tiny, batch_size=8, max_batch_tokens=60, max_prefill_tokens=40)
    passes = spy_prefill_passes(monkeypatch)
    assert texts(cramped.generate(reqs(), **kw)) == roomy
    assert all(len(p) == 1 or len(p) * len(p[0]) <= 40 for p in passes)  # padded tokens


def test_prefill_in_length_buckets_changes_no_output(tiny, monkeypatch):
    from saro.engines import hf_batch

    kw = dict(n=2, temperature=1.0, max_new_tokens=6, seed=3, progress=False)
    one_pass = texts(engine(tiny, batch_size=16).generate(reqs(), **kw))
    greedy_one_pass = texts(
        engine(tiny, batch_size=16).generate(reqs(), max_new_tokens=6, progress=False)
    )
    monkeypatch.setattr(hf_batch, "PREFILL_MIN_TOKENS", 1)  # close a bucket at every length step
    passes = spy_prefill_passes(monkeypatch)
    bucketed = engine(tiny, batch_size=16)
    assert texts(bucketed.generate(reqs(), **kw)) == one_pass
    assert len(passes) > 1 and sum(map(len, passes)) == len(PROMPTS)  # each prompt once
    assert texts(bucketed.generate(reqs(), max_new_tokens=6, progress=False)) == greedy_one_pass


def test_models_without_movable_kv_rows_decode_in_single_pass_groups(tiny, monkeypatch):
    """Sliding-window or linear-attention layers: the library's cache, no refills or buckets."""
    from saro.engines import hf_batch

    kw = dict(max_new_tokens=6, progress=False)
    want = texts(engine(tiny, batch_size=8).generate(reqs(), **kw))
    monkeypatch.setattr(hf_batch, "supports_refill", lambda config: False)
    passes = spy_prefill_passes(monkeypatch)
    eng = engine(tiny, batch_size=8, max_prefill_tokens=40)
    assert texts(eng.generate(reqs(), **kw)) == want
    assert len(passes) > 1  # the prefill cap split the prompts into several groups
    assert all(len(p) == 1 or len(p) * len(p[0]) <= 40 for p in passes)


def test_cache_serves_repeated_jobs(tiny, tmp_path):
    cache = GenerationCache(tmp_path / "gen.jsonl")
    eng = engine(tiny, cache=cache)
    first = eng.generate(reqs()[:2], n=2, temperature=0.7, max_new_tokens=5, progress=False)
    again = eng.generate(reqs()[:3], n=2, temperature=0.7, max_new_tokens=5, progress=False)
    assert texts(again)[:2] == texts(first)
    assert [c.cached for row in again for c in row] == [True] * 4 + [False] * 2
    assert len(cache) == 6


def test_identity_names_path_weights_and_dtype(tiny):
    a = engine(tiny).identity()
    assert str(tiny.resolve()) in a and a.endswith(":float32")
    assert engine(tiny, dtype="bfloat16").identity() != a
    assert engine(tiny).render_key(ChatRequest.user("Hi")).endswith("<|im_start|>assistant\n")


def test_progress_bar_can_be_silenced(tiny, capsys):
    eng = engine(tiny)
    eng.model  # noqa: B018 - load first: transformers draws its own loading bar
    capsys.readouterr()
    eng.generate(reqs()[:1], max_new_tokens=2, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "opts, match",
    [
        ({"dtype": "float8"}, "Unknown dtype"),
        ({"batch_size": 0}, "must be positive"),
    ],
)
def test_bad_options_are_user_errors(tiny, opts, match):
    with pytest.raises(SaroError, match=match):
        make_engine("hf", model=str(tiny), **opts)


def test_a_tokenizer_without_chat_template_is_a_user_error(tiny, tmp_path):
    import json
    import shutil

    folder = tmp_path / "nochat"
    shutil.copytree(tiny, folder)
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    cfg = json.loads((folder / "tokenizer_config.json").read_text())
    cfg.pop("chat_template", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(cfg))
    with pytest.raises(SaroError, match="no chat template"):
        make_engine("hf", model=str(folder)).generate(reqs()[:1], progress=False)


def _draw(logits, params, n=4000):
    from saro.engines.hf_batch import Row, sample

    rows = [Row(i, [0], seed=i) for i in range(n)]
    return torch.bincount(sample(logits.expand(n, -1), rows, params), minlength=logits.shape[-1])


def test_sampler_follows_the_tempered_distribution():
    from saro.engines.base import SamplingParams

    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
    for temperature in (1.0, 0.5):
        want = torch.softmax(logits[0] / temperature, -1)
        got = _draw(logits, SamplingParams(temperature=temperature)) / 4000
        assert torch.allclose(got, want, atol=0.03), (temperature, got, want)


def test_sampler_top_p_keeps_the_smallest_nucleus():
    from saro.engines.base import SamplingParams

    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    counts = _draw(logits, SamplingParams(temperature=1.0, top_p=0.7))
    assert counts[2:].sum() == 0  # 0.5 + 0.3 >= 0.7: the nucleus is the first two tokens
    assert abs(counts[0] / counts.sum() - 0.5 / 0.8) < 0.03


def test_a_prompt_longer_than_the_context_is_a_user_error(tiny):
    with pytest.raises(SaroError, match="exceeds the model's context of 512 tokens"):
        engine(tiny).generate(reqs(["word " * 600]), max_new_tokens=4, progress=False)
