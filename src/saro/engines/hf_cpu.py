"""Prepacked linear layers for CPU inference: the hf engine's fp32 fast path.

A decode step multiplies a few dozen rows by every weight matrix of the model. torch's default
CPU path (``F.linear`` on MKL sgemm) reorders the weight into the kernel's blocked layout on
every call, and at 8-64 rows that costs about as much as the multiply itself. oneDNN, which
torch ships, can reorder a weight once (``mkldnn._reorder_linear_weight``) and then run
``mkldnn._linear_pointwise`` on it. torch's own compiler packs weights the same way when it
freezes a model for CPU inference (with MKL's packed sgemm for fp32; on this CPU oneDNN's was
the faster of the two, 100 against 48 GFLOP/s for the head at 64 rows). This module does only
that step, without compiling anything: every plain ``nn.Linear`` of an fp32 model on the CPU
is swapped for a :class:`PackedLinear` holding the reordered weight.

Measured on the 2-core AVX2 EPYC (docs/performance.md): the 49k-vocabulary head at 64 rows
went from 46 to 119 GFLOP/s, the layers' matrices at 8-33 rows from 25-73 to 52-102, and a whole
64-row decode step from ~600 to ~465 ms. The arithmetic stays fp32 (only the order of the sums
changes, as between two BLAS libraries), and each row's result no longer depends on how many
rows share the call (MKL's did), so a sample does not change with its batch mates.

The swap is for inference only: the packed weight has no gradient, and ``save_pretrained`` on a
packed model would miss the linear weights. The engine's model is never trained or saved.
Memory: each layer's original weight is released as it is swapped, except a head tied to the
input embedding, which keeps the embedding and gains a packed copy (vocabulary x hidden x 4
bytes: 113 MB for SmolLM2-135M, about 1 GB for a 128k-vocabulary 1B model).
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
    """Swap every plain fp32 CPU ``nn.Linear`` of ``model`` for a :class:`PackedLinear`.

    Only modules whose type is exactly ``nn.Linear`` are swapped: subclasses (routers that
    return tuples, grouped projections, remote code) have their own ``forward``. Each packed
    layer is checked against the module it replaces on a random input and swapped at once, so
    the original weight can be freed; a layer that disagrees stays as it was. If oneDNN is
    missing or its ops fail, nothing more is swapped. A warning says what was skipped. Returns
    the number of layers swapped.
    """
    if not available():
        log.warning("oneDNN is not available in this torch build; linear layers stay unpacked.")
        return 0
    targets = [
        name
        for name, module in model.named_modules()
        if type(module) is torch.nn.Linear
        and module.weight.dtype == torch.float32
        and module.weight.device.type == "cpu"
    ]
    swapped, disagree = 0, []
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name in targets:
            module = model.get_submodule(name)
            try:
                packed = PackedLinear(module, max(1, batch_hint))
                probe = torch.randn(3, module.in_features, generator=generator)
                ok = torch.allclose(packed(probe), module(probe), rtol=1e-4, atol=1e-4)
            except RuntimeError as exc:  # an op missing from this build
                log.warning(
                    "oneDNN prepacking failed at %s (%s); the rest stay unpacked.", name, exc
                )
                break
            if ok:
                model.set_submodule(name, packed)
                swapped += 1
            else:
                disagree.append(name)
    if disagree:
        log.warning(
            "%d linear layer(s) disagreed with their oneDNN-packed copy and stay unpacked: %s",
            len(disagree),
            ", ".join(disagree[:5]),
        )
    return swapped
