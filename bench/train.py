"""Training throughput on the default model: SFT batching variants and DPO, against the measured
matmul peak of this machine, in one run.

    .venv/bin/python bench/train.py                      # the full bench (~15 minutes, quiet box)
    .venv/bin/python bench/train.py --steps 2 --examples 32 --out /tmp/bench-train.md

Data: the seed RIT set shipped with saro (real prompts and reasoning traces, so real lengths),
rendered as RIT-D; DPO pairs pair each trace (chosen) with another trace of the same kind
(rejected). For each variant it trains ``--steps`` timed steps after one untimed warm-up step and
reports tokens/s (real tokens, padding excluded), the padded fraction of the batches, and the
model-FLOPs utilisation 6·params·tokens / time / peak, where peak is the fp32 (or bf16) matmul
rate measured at the start of the same run. DPO counts the tokens of both sequences of a pair
and runs with precomputed reference log-probs (that pass is timed separately). Never run this
next to another heavy job: two jobs on 2 cores slow each other 3-5x; the load average at start
and end is printed so a disturbed run is visible.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import tempfile
import time
from pathlib import Path

import torch
from transformers import TrainerCallback

FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    found = set(text.split())
    return [f for f in FLAGS if f in found]


def matmul_gflops(dtype: torch.dtype = torch.float32, n: int = 2048, seconds: float = 3.0) -> float:
    """Sustained square-matmul rate (2·n³ FLOP each) on all threads torch uses."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.matmul(a, b)
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        torch.matmul(a, b)
        count += 1
    return 2 * n**3 * count / (time.perf_counter() - t0) / 1e9


class StepTimer(TrainerCallback):
    """Wall time of each optimizer step (the first is a warm-up and is dropped later)."""

    def __init__(self):
        self.times: list[float] = []
        self._t = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._t = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(time.perf_counter() - self._t)


class BatchCounter:
    """Wrap a data collator to record the real and padded tokens of each batch, in order.

    Batch ``i`` is the batch of optimizer step ``i`` (no gradient accumulation, no workers;
    accelerate may collate one batch ahead, which only appends to the end of the lists).
    """

    def __init__(self, collator):
        self.collator = collator
        self.real: list[int] = []
        self.total: list[int] = []

    def __call__(self, examples):
        batch = self.collator(examples)
        ids = batch["input_ids"]
        mask = batch.get("attention_mask")
        self.total.append(ids.numel())
        self.real.append(int(mask.sum()) if mask is not None else ids.numel())
        return batch

    def __getattr__(self, name):
        return getattr(self.collator, name)


def seed_rit(limit: int) -> list[dict]:
    from saro.datagen.rit.seed import load_seed_set
    from saro.reasoning import render

    traces = load_seed_set()
    random.Random(0).shuffle(traces)
    rows = []
    for t in traces[:limit]:
        answer = render(t.steps, t.answer)
        msgs = [
            {"role": "user", "content": t.prompt.text},
            {"role": "assistant", "content": answer},
        ]
        rows.append({"messages": msgs, "kind": t.prompt.kind})
    return rows


def seed_pairs(rows: list[dict]) -> list[dict]:
    pairs = []
    for i, row in enumerate(rows):
        other = rows[(i + 1) % len(rows)]
        pairs.append(
            {
                "prompt": row["messages"][:1],
                "chosen": row["messages"][1:],
                "rejected": other["messages"][1:],
                "level": "outcome",
            }
        )
    return pairs


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run_variant(kind: str, values: dict, steps: int) -> dict:
    from saro.train import dpo, sft
    from saro.train.config import build_config

    module = sft if kind == "sft" else dpo
    config = build_config(kind, {**values, "max_steps": steps + 1})
    timer = StepTimer()
    t0 = time.perf_counter()
    trainer = module.build_trainer(config, callbacks=[timer])
    setup = time.perf_counter() - t0
    counter = BatchCounter(trainer.data_collator)
    trainer.data_collator = counter
    trainer.train()
    params = sum(p.numel() for p in trainer.model.parameters())
    # the timed steps are 1..steps (step 0 is the warm-up); sorted batches differ in length, so
    # count each timed step's own batch rather than scaling an average
    timed = slice(1, steps + 1)
    real, total = sum(counter.real[timed]), sum(counter.total[timed])
    seconds = sum(timer.times[timed])
    return {
        "seconds": seconds,
        "tokens": real,
        "tok_s": real / seconds if seconds else 0.0,
        "pad": 1 - real / total if total else 0.0,
        "params": params,
        "setup_s": setup,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--examples", type=int, default=96)
    ap.add_argument("--steps", type=int, default=4, help="timed steps per variant")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument(
        "--variants", default="random,grouped,packed,sorted,sorted+model-loss,dpo,dpo-sorted"
    )
    ap.add_argument("--bf16", action="store_true", help="also run SFT with bf16 autocast")
    ap.add_argument("--out", default=None, help="append the markdown table to this file")
    args = ap.parse_args()

    torch.manual_seed(0)
    load0 = os.getloadavg()[0]
    flags = cpu_flags()
    peak = matmul_gflops()
    peak_bf16 = matmul_gflops(torch.bfloat16) if args.bf16 else None
    work = Path(tempfile.mkdtemp(prefix="saro-bench-train-"))
    rows = seed_rit(args.examples)
    rit = write_jsonl(work / "rit.jsonl", rows)
    pairs = write_jsonl(work / "pairs.jsonl", seed_pairs(rows))
    base = {
        "model_name_or_path": args.model,
        "per_device_train_batch_size": args.batch,
        "max_length": args.max_length,
        "save_strategy": "no",
        "disable_tqdm": True,
        "learning_rate": 1e-5,
        "seed": 0,
    }
    trl_head = {"loss_head": "trl", "sorted_batches": False}
    sft_variants = {
        "random": {**trl_head, "train_sampling_strategy": "random"},
        "grouped": {**trl_head, "train_sampling_strategy": "group_by_length"},
        # a pack is max_length tokens and a batch is flattened into one sequence whose attention
        # spans all of it, so packed batches hold about as many tokens as the padded ones
        "packed": {**trl_head, "packing": True, "per_device_train_batch_size": 2},
        "sorted": {**trl_head, "sorted_batches": True},
        # the saro default on CPU: sorted batches and the model's own loss head
        "sorted+model-loss": {"sorted_batches": True, "loss_head": "model"},
    }
    dpo_variants = {"dpo": {"sorted_batches": False}, "dpo-sorted": {"sorted_batches": True}}
    results = {}
    for name in args.variants.split(","):
        out = {"output_dir": str(work / name)}
        if name in sft_variants:
            values = {**base, **out, "train_file": str(rit), **sft_variants[name]}
            results[name] = run_variant("sft", values, args.steps)
        elif name in dpo_variants:
            values = {**base, **out, "train_files": [str(pairs)], **dpo_variants[name]}
            values["per_device_train_batch_size"] = max(1, args.batch // 2)
            # the reference pass covers only the pairs the timed steps use
            values["max_train_samples"] = values["per_device_train_batch_size"] * (args.steps + 1)
            results[name] = run_variant("dpo", values, args.steps)
        else:
            raise SystemExit(f"unknown variant {name!r}")
        print(name, json.dumps(results.get(name)), flush=True)
    if args.bf16:
        values = {**base, "output_dir": str(work / "bf16"), "train_file": str(rit), "bf16": True}
        values["train_sampling_strategy"] = "group_by_length"
        results["grouped+bf16"] = run_variant("sft", values, args.steps)
    load1 = os.getloadavg()[0]
    shutil.rmtree(work, ignore_errors=True)

    lines = [
        f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"flags {' '.join(flags) or '?'}; torch threads {torch.get_num_threads()}; "
        f"fp32 matmul peak {peak:.0f} GFLOP/s"
        + (f", bf16 {peak_bf16:.0f} GFLOP/s" if peak_bf16 else "")
        + f"; load average {load0:.1f} at start, {load1:.1f} at end.",
        "",
        "| variant | tokens/s | MFU | padded | timed steps | setup s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        ref = peak_bf16 if name.endswith("bf16") and peak_bf16 else peak
        mfu = 6 * r["params"] * r["tok_s"] / (ref * 1e9)
        lines.append(
            f"| {name} | {r['tok_s']:.0f} | {mfu:.0%} | {r['pad']:.1%} | {args.steps} "
            f"| {r['setup_s']:.0f} |"
        )
    lines.append("")
    for d, s in (("dpo", "grouped"), ("dpo-sorted", "sorted")):
        if d in results and s in results:
            ratio = results[s]["tok_s"] / results[d]["tok_s"]
            lines.append(
                f"- {d} cost per token relative to SFT ({s}, same loss head): {ratio:.2f}x"
            )
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(table + "\n\n")


if __name__ == "__main__":
    main()
