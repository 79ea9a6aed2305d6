"""Sorted batches and the loss-head choice (saro.train.speed): less padding, same loss."""

import random

import pytest
import torch

from saro.train import dpo, sft
from saro.train.config import build_config
from saro.train.speed import SortedBatchSampler, example_lengths, padded_fraction
from train_helpers import dpo_values, sft_values


def _batches(sampler: SortedBatchSampler) -> list[list[int]]:
    idx = list(sampler)
    return [idx[i : i + sampler.batch_size] for i in range(0, len(idx), sampler.batch_size)]


def test_sorted_batches_cover_every_example_once_and_barely_pad():
    rng = random.Random(0)
    lengths = [rng.randint(60, 600) for _ in range(203)]
    sampler = SortedBatchSampler(lengths, batch_size=8, seed=3)
    batches = _batches(sampler)
    assert sorted(i for b in batches for i in b) == list(range(203))
    shuffled = list(range(203))
    rng.shuffle(shuffled)
    random_batches = [shuffled[i : i + 8] for i in range(0, 203, 8)]
    sorted_pad = padded_fraction(lengths, batches)
    random_pad = padded_fraction(lengths, random_batches)
    assert sorted_pad < 0.08 and sorted_pad < random_pad / 4


def test_a_short_last_batch_does_not_shift_the_dataloaders_batches():
    from torch.utils.data import DataLoader

    lengths = [random.Random(1).randint(60, 600) for _ in range(42)]  # 10 batches of 4, then 2
    for seed in range(10):
        sampler = SortedBatchSampler(lengths, batch_size=4, seed=seed)
        loaded = [b.tolist() for b in DataLoader(range(42), batch_size=4, sampler=sampler)]
        assert loaded == sampler.batches()  # every loaded batch is one sorted group
        assert len(loaded[-1]) == 2


def test_sorted_batch_order_is_seeded_per_epoch():
    lengths = list(range(100, 400, 3))
    a, b = SortedBatchSampler(lengths, 4, seed=1), SortedBatchSampler(lengths, 4, seed=1)
    assert list(a) == list(b)  # a resumed run sees the same order
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first and sorted(a) == sorted(first)
    # the batches themselves stay length-sorted groups, only their order changes
    assert sorted(map(tuple, _batches(a))) == sorted(map(tuple, _batches(b)))


def test_the_trainers_use_sorted_batches_on_tokenized_data(tmp_path, tiny_model_dir):  # noqa: F811
    trainer = sft.build_trainer(build_config("sft", sft_values(tiny_model_dir, tmp_path / "s")))
    lengths = example_lengths(trainer.train_dataset)
    assert lengths and isinstance(trainer._get_train_sampler(), SortedBatchSampler)
    off = sft_values(tiny_model_dir, tmp_path / "r", sorted_batches=False)
    assert not isinstance(
        sft.build_trainer(build_config("sft", off))._get_train_sampler(), SortedBatchSampler
    )
    pairs = dpo.build_trainer(build_config("dpo", dpo_values(tiny_model_dir, tmp_path / "d")))
    ds = pairs.train_dataset
    want = [
        len(p) + max(len(c), len(r))
        for p, c, r in zip(ds["prompt_ids"], ds["chosen_ids"], ds["rejected_ids"], strict=True)
    ]
    assert example_lengths(ds) == want
    assert isinstance(pairs._get_train_sampler(), SortedBatchSampler)


def test_model_loss_head_gives_trl_loss_and_gradient(tmp_path, tiny_model_dir):  # noqa: F811
    trl = sft.build_trainer(
        build_config("sft", sft_values(tiny_model_dir, tmp_path / "a", loss_head="trl"))
    )
    own = sft.build_trainer(
        build_config("sft", sft_values(tiny_model_dir, tmp_path / "b", loss_head="model"))
    )
    batch = trl.data_collator([trl.train_dataset[i] for i in range(3)])
    n = int((batch["labels"][:, 1:] != -100).sum())
    losses, grads = [], []
    for trainer in (trl, own):
        trainer.model.train()
        trainer.model.zero_grad()
        loss = trainer.compute_loss(trainer.model, dict(batch), num_items_in_batch=torch.tensor(n))
        loss.backward()
        losses.append(loss.item())
        grads.append(trainer.model.get_input_embeddings().weight.grad.clone())
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)
    assert torch.allclose(grads[0], grads[1], atol=1e-5, rtol=1e-3)


def test_unknown_loss_head_is_refused(tmp_path, tiny_model_dir):  # noqa: F811
    from saro.errors import SaroError

    with pytest.raises(SaroError, match="loss_head"):
        build_config("sft", sft_values(tiny_model_dir, tmp_path / "x", loss_head="fast"))
