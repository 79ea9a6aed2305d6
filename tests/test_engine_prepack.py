"""Prepacked (oneDNN) linear layers: same numbers as nn.Linear, rows independent of batch size,
a safe fallback, and the hf engine's switch."""

from __future__ import annotations

import logging

import pytest

torch = pytest.importorskip("torch")

from saro.engines import ChatRequest, hf_cpu, make_engine  # noqa: E402
from saro.engines.hf_cpu import PackedLinear, prepack_linears  # noqa: E402
from saro.errors import SaroError  # noqa: E402

pytestmark = pytest.mark.skipif(not hf_cpu.available(), reason="torch built without oneDNN")

PROMPTS = ["How do I bake bread?", "What is 12 plus 30?", "Hi", "Safety first: think step by step."]


def linear(n_in=48, n_out=80, bias=True, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Linear(n_in, n_out, bias=bias)


@pytest.mark.parametrize("bias", [True, False])
def test_packed_linear_computes_what_linear_computes(bias):
    lin = linear(bias=bias)
    packed = PackedLinear(lin, batch_hint=16)
    with torch.no_grad():
        for x in (torch.randn(5, 48), torch.randn(2, 3, 48), torch.randn(48, 7).t()):
            torch.testing.assert_close(packed(x), lin(x), rtol=1e-5, atol=1e-5)
    assert "oneDNN-packed" in repr(packed)


def test_a_rows_result_does_not_depend_on_its_batch_mates():
    packed = PackedLinear(linear(), batch_hint=64)
    x = torch.randn(100, 48)
    with torch.no_grad():
        alone = packed(x[:1])
        for rows in (2, 7, 33, 100):
            assert torch.equal(packed(x[:rows])[:1], alone)


def test_prepack_swaps_every_linear_and_keeps_the_logits(tiny):
    from transformers import AutoModelForCausalLM

    plain = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32).eval()
    packed = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32).eval()
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in plain.modules())
    assert prepack_linears(packed, batch_hint=8) == n_linear
    assert not any(isinstance(m, torch.nn.Linear) for m in packed.modules())
    ids = torch.randint(3, 300, (3, 12))
    with torch.inference_mode():
        torch.testing.assert_close(packed(ids).logits, plain(ids).logits, rtol=1e-4, atol=1e-4)


def test_a_layer_that_disagrees_stays_unpacked_and_is_named(tiny, monkeypatch, caplog):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32).eval()
    before = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    monkeypatch.setattr(PackedLinear, "forward", lambda self, x: torch.zeros(1))
    with caplog.at_level(logging.WARNING, logger="saro.engines.hf_cpu"):
        assert prepack_linears(model) == 0
    assert sum(isinstance(m, torch.nn.Linear) for m in model.modules()) == before
    assert f"{before} linear layer(s) disagreed" in caplog.text
    assert "model.layers.0.self_attn.q_proj" in caplog.text


def test_failing_onednn_ops_stop_the_swap_with_a_warning(tiny, monkeypatch, caplog):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32).eval()

    def broken(self, linear, batch_hint):
        raise RuntimeError("mkldnn op not compiled in")

    monkeypatch.setattr(PackedLinear, "__init__", broken)
    with caplog.at_level(logging.WARNING, logger="saro.engines.hf_cpu"):
        assert prepack_linears(model) == 0
    assert "prepacking failed" in caplog.text and "not compiled in" in caplog.text


def test_linear_subclasses_keep_their_own_forward():
    class Router(torch.nn.Linear):  # like a MoE router: returns more than the projection
        def forward(self, x):
            return super().forward(x), x.shape[0]

    model = torch.nn.ModuleDict({"proj": linear(), "router": Router(48, 8)})
    assert prepack_linears(model) == 1
    assert isinstance(model["proj"], PackedLinear)
    assert type(model["router"]) is Router


def test_prepack_without_onednn_is_a_no_op(tiny, monkeypatch, caplog):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32).eval()
    monkeypatch.setattr(hf_cpu, "available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="saro.engines.hf_cpu"):
        assert prepack_linears(model) == 0
    assert any(isinstance(m, torch.nn.Linear) for m in model.modules())
    assert "not available" in caplog.text


def test_engine_packs_by_default_on_cpu_fp32_and_not_when_told(tiny):
    on = make_engine("hf", model=str(tiny))
    off = make_engine("hf", model=str(tiny), prepack=False)
    assert any(isinstance(m, PackedLinear) for m in on.model.modules())
    assert not any(isinstance(m, PackedLinear) for m in off.model.modules())
    assert on.identity() == off.identity()  # same fp32 model: the generation cache is shared
    reqs = [ChatRequest.user(p) for p in PROMPTS]
    same = [
        a[0].text == b[0].text
        for a, b in zip(
            on.generate(reqs, temperature=0, max_new_tokens=12, progress=False),
            off.generate(reqs, temperature=0, max_new_tokens=12, progress=False),
            strict=True,
        )
    ]
    assert all(same)


def test_engine_auto_mode_stays_quiet_without_onednn(tiny, monkeypatch, caplog):
    monkeypatch.setattr(hf_cpu, "available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="saro.engines.hf_cpu"):
        model = make_engine("hf", model=str(tiny)).model
    assert not any(isinstance(m, PackedLinear) for m in model.modules())
    assert caplog.text == ""


def test_engine_refuses_prepack_outside_cpu_fp32(tiny):
    with pytest.raises(SaroError, match="prepack=True needs dtype float32"):
        make_engine("hf", model=str(tiny), dtype="bfloat16", prepack=True)
