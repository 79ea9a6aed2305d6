"""Prepacked linear layers for CPU inference: the hf engine's fp32 fast path.

A decode step multiplies a few dozen rows by every weight matrix of the model. torch's default
CPU path (``F.linear`` on MKL sgemm) reorders the weight into the kernel's blocked layout on
every call, and at 8-64 rows that costs about as much as the multiply itself. oneDNN, which
torch ships, can reorder a weight once (``mkldnn._reorder_linear_weight``) and then run
``mkldnn._linear_pointwise`` on it; torch's own compiler does exactly this when it freezes a
model for CPU inference. This module does only that step, without compiling anything:
every ``nn.Linear`` of an fp32 model on the CPU is swapped for a :class:`PackedLinear` holding
the reordered weight.

Measured on the 2-core AVX2 EPYC (docs/performance.md): the 49k-vocabulary head at 64 rows
went from 46 to 119 GFLOP/s, the layers' matrices at 8-33 rows from 25-73 to 52-102, and a whole
64-row decode step from ~600 to ~465 ms. The arithmetic stays fp32 (only the order of the sums
changes, as between two BLAS libraries), and each row's result no longer depends on how many
rows share the call (MKL's did), so a sample does not change with its batch mates.

The swap is for inference only: the packed weight has no gradient, and ``save_pretrained`` on a
packed model would miss the linear weights. The engine's model is never trained or saved.
"""

from __future__ import annotations

import logging

import torch

log = logging.getLogger(__name__)


def available() -> bool:
    """True when this torch has oneDNN and the two ops the packed path needs."""
    ops = torch.ops.mkldnn
    return (
        torch.backends.mkldnn.is_available()
        and hasattr(ops, "_reorder_linear_weight")
        and hasattr(ops, "_linear_pointwise")
    )


class PackedLinear(torch.nn.Module):
    """``nn.Linear`` with its weight reordered once for oneDNN (inference only)."""

    def __init__(self, linear: torch.nn.Linear, batch_hint: int):
        super().__init__()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        weight = linear.weight.detach()
        self.register_buffer(
            "packed", torch.ops.mkldnn._reorder_linear_weight(weight, batch_hint), persistent=False
        )
        bias = linear.bias.detach() if linear.bias is not None else None
        self.register_buffer("bias", bias, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._linear_pointwise(x, self.packed, self.bias, "none", [None], "")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, oneDNN-packed"


def prepack_linears(model: torch.nn.Module, batch_hint: int = 64) -> int:
    """Swap every fp32 CPU ``nn.Linear`` of ``model`` for a :class:`PackedLinear`.

    Each packed layer is checked against ``F.linear`` on a random input before anything is
    swapped; if oneDNN is missing, fails or disagrees, the model is left as it was (a warning
    says why). Returns the number of layers swapped.
    """
    if not available():
        log.warning("oneDNN is not available in this torch build; linear layers stay unpacked.")
        return 0
    targets = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
        and module.weight.dtype == torch.float32
        and module.weight.device.type == "cpu"
    ]
    swaps = {}
    generator = torch.Generator().manual_seed(0)
    try:
        with torch.no_grad():
            for name, module in targets:
                packed = PackedLinear(module, max(1, batch_hint))
                probe = torch.randn(3, module.in_features, generator=generator)
                want = torch.nn.functional.linear(probe, module.weight, module.bias)
                got = packed(probe)
                if not torch.allclose(got, want, rtol=1e-4, atol=1e-4):
                    raise RuntimeError(f"{name}: packed output differs from F.linear")
                swaps[name] = packed
    except RuntimeError as exc:  # an op missing from this build, or a numerical mismatch
        log.warning("oneDNN prepacking failed (%s); linear layers stay unpacked.", exc)
        return 0
    for name, packed in swaps.items():
        model.set_submodule(name, packed)
    return len(swaps)
