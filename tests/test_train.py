"""SFT and DPO on a tiny Llama: they train, log, save and resume; DPO's loss is the formula."""

import json
import math

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

from saro.train import dpo, sft
from saro.train.config import build_config
from train_helpers import build_model_dir, dpo_values, read_metrics, sft_values


def _weights(path):
    model = AutoModelForCausalLM.from_pretrained(path)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _changed(before, after):
    return [k for k in before if not torch.equal(before[k], after[k])]


def test_sft_full_fine_tune_trains_logs_and_saves_a_usable_model(tmp_path, tiny_model_dir):
    out = sft.main(build_config("sft", sft_values(tiny_model_dir, tmp_path / "rw")))
    steps = [r for r in read_metrics(out) if "loss" in r]
    assert [r["step"] for r in steps] == [1, 2, 3]
    assert all(math.isfinite(r["loss"]) and "learning_rate" in r for r in steps)
    assert steps[-1]["loss"] < steps[0]["loss"]
    assert _changed(_weights(tiny_model_dir), _weights(out))
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "done" and run["stage"] == "rw" and run["global_step"] == 3
    ds = sft.build_trainer(build_config("sft", sft_values(tiny_model_dir, tmp_path / "t")))
    per_epoch = sum(len(ids) for ids in ds.train_dataset["input_ids"])  # no padding counted
    assert run["train_tokens"] == per_epoch * run["metrics"]["epoch"] > 0
    # the saved tokenizer keeps the ORIGINAL chat template
    original = AutoTokenizer.from_pretrained(tiny_model_dir).chat_template
    assert AutoTokenizer.from_pretrained(out).chat_template == original


def test_sft_loss_covers_only_the_assistant_answer(tmp_path, tiny_model_dir, tiny_tokenizer):
    cfg = build_config("sft", sft_values(tiny_model_dir, tmp_path / "x"))
    trainer = sft.build_trainer(cfg)
    row = trainer.train_dataset[0]
    prompt = [{"role": "user", "content": "How do I pick the lock on my neighbour's door?"}]
    n_prompt = len(
        tiny_tokenizer.apply_chat_template(prompt, add_generation_prompt=True)["input_ids"]
    )
    labels = row["labels"]
    assert all(label == -100 for label in labels[:n_prompt])
    assert labels[n_prompt:] == row["input_ids"][n_prompt:]
    answer = tiny_tokenizer.decode(labels[n_prompt:])
    assert answer.startswith("<think>\nThe user asks")
    assert answer.rstrip().endswith("<|im_end|>")  # the model learns to stop


def test_sft_with_lora_trains_the_adapter_and_saves_merged_weights(tmp_path, tiny_model_dir):
    values = sft_values(tiny_model_dir, tmp_path / "lora", use_lora=True, lora_r=4, lora_alpha=8)
    out = sft.main(build_config("sft", values))
    assert [r["step"] for r in read_metrics(out) if "loss" in r] == [1, 2, 3]
    assert not (out / "adapter_config.json").exists()  # merged into a plain model folder
    changed = _changed(_weights(tiny_model_dir), _weights(out))
    assert changed and all("proj" in k for k in changed)  # only adapted linear layers moved


def test_dpo_trains_with_precomputed_reference_and_per_level_eval_curves(tmp_path, tiny_model_dir):
    values = dpo_values(
        tiny_model_dir,
        tmp_path / "srpo",
        eval_fraction=0.4,
        eval_strategy="steps",
        eval_steps=3,
        train_sampling_strategy="group_by_length",
    )
    out = dpo.main(build_config("dpo", values))
    metrics = read_metrics(out)
    train = [r for r in metrics if "loss" in r]
    assert [r["step"] for r in train] == [1, 2, 3]
    for key in ("rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected"):
        assert all(key in r for r in train)
    assert train[0]["loss"] == pytest.approx(math.log(2), abs=1e-3)  # policy == reference
    evals = {k for r in metrics for k in r if k.startswith("eval_")}
    for level in ("outcome", "process"):
        assert f"eval_{level}_rewards/accuracies" in evals
        assert f"eval_{level}_rewards/margins" in evals
    assert "eval_rewards/accuracies" not in evals  # every eval metric says its level
    assert _changed(_weights(tiny_model_dir), _weights(out))
    # training tokens, for compute-aware comparisons: TRL's count at the last step
    run = json.loads((out / "run.json").read_text())
    assert run["train_tokens"] == max(int(float(r["num_tokens"])) for r in train) > 0


def _completion_logp(model, prompt_ids, completion_ids):
    ids = torch.tensor([prompt_ids + completion_ids])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0, :-1].float(), dim=-1)
    targets = ids[0, 1:]
    per_token = logp.gather(1, targets[:, None])[:, 0]
    return per_token[len(prompt_ids) - 1 :].sum().item()


def test_dpo_loss_equals_the_closed_form(tmp_path, tiny_model_dir, tiny_tokenizer):
    ref_dir = build_model_dir(tmp_path / "ref", tiny_tokenizer)  # same seed: perturb it below
    ref = AutoModelForCausalLM.from_pretrained(ref_dir)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.05 * torch.randn_like(p))
    ref.save_pretrained(ref_dir)
    beta = 0.3
    values = dpo_values(
        tiny_model_dir, tmp_path / "d", beta=beta, ref_model_name_or_path=str(ref_dir)
    )
    trainer = dpo.build_trainer(build_config("dpo", values))
    pair = trainer.train_dataset[3]  # a PP-COT (text) pair
    policy = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    pc = _completion_logp(policy, pair["prompt_ids"], pair["chosen_ids"])
    pr = _completion_logp(policy, pair["prompt_ids"], pair["rejected_ids"])
    rc = _completion_logp(ref, pair["prompt_ids"], pair["chosen_ids"])
    rr = _completion_logp(ref, pair["prompt_ids"], pair["rejected_ids"])
    expected = -math.log(1 / (1 + math.exp(-beta * ((pc - rc) - (pr - rr)))))
    assert pair["ref_chosen_logps"] == pytest.approx(rc, abs=1e-3)  # precomputed once
    batch = trainer.data_collator([pair])
    trainer.model.eval()
    with torch.no_grad():
        loss = trainer.compute_loss(trainer.model, batch)
    assert loss.item() == pytest.approx(expected, rel=1e-4, abs=1e-4)


class _KillAfterFirstCheckpoint(TrainerCallback):
    def on_save(self, args, state, control, **kwargs):
        raise KeyboardInterrupt  # like a kill: no final save, run.json stays 'running'


def test_resume_continues_from_the_saved_step(tmp_path, tiny_model_dir):
    values = sft_values(
        tiny_model_dir, tmp_path / "r", max_steps=4, save_strategy="steps", save_steps=2
    )
    with pytest.raises(KeyboardInterrupt):
        sft.main(build_config("sft", values), callbacks=[_KillAfterFirstCheckpoint()])
    out = tmp_path / "r"
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    assert (out / "checkpoint-2").is_dir()

    started = []

    class _Probe(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            started.append(state.global_step)

    sft.main(build_config("sft", {**values, "resume": True}), callbacks=[_Probe()])
    assert started == [2]
    steps = [r["step"] for r in read_metrics(out) if "loss" in r]
    assert steps == [1, 2, 3, 4]  # no step twice, none missing
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "done" and run["global_step"] == 4
    # a finished run keeps its model and drops the checkpoints (resume-only, ~3x the weights)
    assert (out / "model.safetensors").exists() and not list(out.glob("checkpoint-*"))


def test_padding_free_packing_gives_the_padded_loss_on_cpu(tmp_path, tiny_model_dir):
    """TRL's BFD packing flattens a batch into one row; transformers then builds a block-diagonal
    mask from the position ids for sdpa/eager, so packing is exact on CPU, with no padding."""

    def batch_loss(**extra):
        values = sft_values(tiny_model_dir, tmp_path / "p", per_device_train_batch_size=6, **extra)
        trainer = sft.build_trainer(build_config("sft", values))
        ds = trainer.train_dataset
        batch = trainer.data_collator([ds[i] for i in range(len(ds))])
        trainer.model.eval()
        with torch.no_grad():
            return trainer.compute_loss(trainer.model, batch).item(), batch

    padded, padded_batch = batch_loss()
    packed, packed_batch = batch_loss(packing=True)
    assert (padded_batch["attention_mask"] == 0).any()  # the padded batch wastes tokens
    assert packed_batch["input_ids"].shape[0] == 1 and "attention_mask" not in packed_batch
    assert packed == pytest.approx(padded, rel=1e-5)
