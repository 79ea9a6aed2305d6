"""What a CPU run cannot afford to waste: padded tokens and a tiled loss head.

Two opt-in pieces the SFT and DPO trainers mix in (``sorted_batches`` and ``loss_head`` in the
config, docs/training.md):

- :class:`SortedBatchSampler`: the whole training set sorted by length and cut into batches, the
  batch order shuffled (seeded, per epoch). transformers' ``group_by_length`` only sorts inside
  random mega-batches of a few batches each, which on a small mixed-length set still leaves
  ~16% of the tokens as padding (bench/train.py); sorted batches left 4%.
- ``loss_head: model``: the SFT loss from the model's own forward (transformers' cross entropy
  on the full logits) instead of TRL's fused, tiled log-prob head. On a CPU TRL scores every
  position in tiles and also computes the entropy and top-1 metrics: 91 -> 107 tokens/s on
  a fixed 8 x 256 probe (docs/performance.md); on a GPU its head saves memory and should stay.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import Sampler

LOSS_HEADS = ("auto", "trl", "model")


class SortedBatchSampler(Sampler[int]):
    """Indices in batches of similar length, the batches in a seeded random order per epoch.

    Args:
        lengths: Token length of every example.
        batch_size: Examples per device batch (the unit padding is computed over).
        seed: Base seed; epoch ``e`` uses ``seed + e`` so a resumed run sees the same order.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.lengths = [int(n) for n in lengths]
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def batches(self) -> list[list[int]]:
        """The batches of this epoch; a short last batch (the longest examples) stays last.

        The DataLoader re-cuts the flat index stream into ``batch_size`` chunks, so a short
        batch anywhere but at the end would shift every later batch off its sorted group.
        """
        order = sorted(range(len(self.lengths)), key=lambda i: (self.lengths[i], i))
        cut = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        n_full = len(order) // self.batch_size
        full, rest = cut[:n_full], cut[n_full:]
        gen = torch.Generator().manual_seed(self.seed + self.epoch)
        return [full[i] for i in torch.randperm(len(full), generator=gen).tolist()] + rest

    def __iter__(self) -> Iterator[int]:
        for batch in self.batches():
            yield from batch

    def __len__(self) -> int:
        return len(self.lengths)


def example_lengths(dataset: Any) -> list[int] | None:
    """Token length of every example of a tokenized SFT or DPO dataset (None if untokenized).

    A DPO pair counts its prompt plus the longer completion: the collator pads chosen and
    rejected rows of a batch to one width.
    """
    cols = set(getattr(dataset, "column_names", None) or [])
    if "input_ids" in cols:
        return [len(x) for x in dataset["input_ids"]]
    if {"prompt_ids", "chosen_ids", "rejected_ids"} <= cols:
        return [
            len(p) + max(len(c), len(r))
            for p, c, r in zip(
                dataset["prompt_ids"], dataset["chosen_ids"], dataset["rejected_ids"], strict=True
            )
        ]
    return None


def padded_fraction(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> float:
    """Share of the tokens of right-padded batches that are padding."""
    real = total = 0
    for batch in batches:
        if not batch:
            continue
        widths = [lengths[i] for i in batch]
        real += sum(widths)
        total += max(widths) * len(widths)
    return 1 - real / total if total else 0.0


def use_model_loss(args: Any) -> bool:
    """Whether ``loss_head`` resolves to the model's own loss (``auto``: on CPU-only runs)."""
    head = getattr(args, "loss_head", "trl")
    if head == "auto":
        return not torch.cuda.is_available() and not _xpu_or_mps()
    return head == "model"


def _xpu_or_mps() -> bool:
    xpu = getattr(torch, "xpu", None)
    mps = getattr(torch.backends, "mps", None)
    return bool((xpu and xpu.is_available()) or (mps and mps.is_available()))


class SortedBatchesMixin:
    """Trainer mixin: ``sorted_batches: true`` swaps the train sampler for sorted batches."""

    def _get_train_sampler(self, train_dataset=None):  # noqa: ANN001 (transformers signature)
        dataset = self.train_dataset if train_dataset is None else train_dataset
        if getattr(self.args, "sorted_batches", False) and not getattr(self.args, "packing", False):
            lengths = example_lengths(dataset)
            if lengths is not None:
                return SortedBatchSampler(
                    lengths, self.args.per_device_train_batch_size, seed=self.args.seed
                )
        return super()._get_train_sampler(train_dataset)
