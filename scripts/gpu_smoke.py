"""GPU smoke check of saro's GPU path, in one process tree, in a few minutes.

Run through ``scripts/gpu_smoke.sh`` (which installs the missing wheels first) on a machine with
a CUDA GPU; on a machine without one it prints why it skips and exits 0. ``--device cpu`` runs the
same steps on the CPU (fp32 instead of bf16): the test suite does that to keep the script
working (tests/test_gpu_smoke.py, marked slow).

Steps, each checked:
1. a tiny random Llama (2 layers, a BPE tokenizer trained on the spot) saved to a work folder;
2. RW-style SFT with LoRA through ``accelerate launch`` (1 process; bf16 on CUDA): the run
   finishes, the loss is finite and falls, the merged model reloads;
3. SRPO-style DPO with LoRA from that model on outcome + process pairs, the same way: finite
   loss, per-level eval metrics logged;
4. the hf engine on the device: greedy generation with a prefill and with budget forcing (a
   reasoning budget of 8 tokens on a model that never closes its reasoning must be forced).
Writes ``SMOKE_OUT/smoke.json`` with what was measured; exit status 1 on any failed check.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # tiny_models: the random model builder the tests use


def check(ok: bool, what: str, results: dict) -> None:
    results.setdefault("checks", []).append({"check": what, "ok": bool(ok)})
    print(("PASS " if ok else "FAIL ") + what, flush=True)


def metrics(out: Path) -> list[dict]:
    path = out / "metrics.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def launch(kind: str, values: dict, device: str, work: Path) -> subprocess.CompletedProcess:
    """``accelerate launch --num_processes 1 -m saro.cli train KIND --set ...``."""
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "1",
           "--num_machines", "1", "--dynamo_backend", "no",
           "--mixed_precision", "bf16" if device == "cuda" else "no"]  # fmt: skip
    if device == "cpu":
        cmd.append("--cpu")
    cmd += ["-m", "saro.cli", "train", kind]
    for key, value in values.items():
        cmd += ["--set", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
    env = {**os.environ, "SARO_CACHE": str(work / "cache"), "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto")
    ap.add_argument("--out", default=os.environ.get("SMOKE_OUT", "smoke-out"))
    args = ap.parse_args()
    import torch

    device = args.device
    if device == "auto":
        if not torch.cuda.is_available():
            print("SKIP: no CUDA device here (torch.cuda.is_available() is False); "
                  "run with --device cpu to check the script itself.")  # fmt: skip
            return 0
        device = "cuda"
    work = Path(args.out).resolve()
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"device": device, "torch": torch.__version__}
    if device == "cuda":
        results["gpu"] = torch.cuda.get_device_name(0)
    t0 = time.time()

    from tiny_models import build_tiny_llama

    model = build_tiny_llama(work / "tiny", init=0.02)
    check((model / "config.json").exists(), "tiny random Llama saved", results)

    bf16 = device == "cuda"
    common = {"use_lora": True, "lora_r": 8, "lora_alpha": 16, "bf16": bf16,
              "model_dtype": "bfloat16" if bf16 else "float32", "per_device_train_batch_size": 2,
              "learning_rate": 5e-3, "max_length": 256, "save_strategy": "no",
              "logging_steps": 1, "disable_tqdm": True, "seed": 0}  # fmt: skip
    if device == "cpu":
        common["optim"] = "adamw_torch"
    fixtures = ROOT / "tests" / "fixtures"
    sft_out = work / "rw"
    proc = launch("sft", {**common, "model_name_or_path": str(model), "output_dir": str(sft_out),
                          "train_file": str(fixtures / "rit_tiny.jsonl"), "max_steps": 6},
                  device, work)  # fmt: skip
    (work / "sft.log").write_text(proc.stdout + proc.stderr)
    losses = [r["loss"] for r in metrics(sft_out) if "loss" in r]
    check(proc.returncode == 0, "SFT (LoRA) through accelerate launch exits 0", results)
    check(bool(losses) and all(math.isfinite(x) for x in losses), "SFT loss finite", results)
    check(bool(losses) and losses[-1] < losses[0], "SFT loss falls", results)
    results["sft_losses"] = losses

    dpo_out = work / "srpo"
    proc = launch("dpo", {**common, "model_name_or_path": str(sft_out), "output_dir": str(dpo_out),
                          "train_files": [str(fixtures / "pairs_tiny.jsonl")], "max_steps": 3,
                          "eval_fraction": 0.4, "eval_strategy": "steps", "eval_steps": 3,
                          "precompute_ref_log_probs": True, "beta": 0.1},
                  device, work)  # fmt: skip
    (work / "dpo.log").write_text(proc.stdout + proc.stderr)
    rows = metrics(dpo_out)
    dpo_losses = [r["loss"] for r in rows if "loss" in r]
    check(proc.returncode == 0, "DPO (LoRA) through accelerate launch exits 0", results)
    check(bool(dpo_losses) and all(math.isfinite(x) for x in dpo_losses), "DPO loss finite",
          results)  # fmt: skip
    check(any(k.startswith("eval_outcome_") for r in rows for k in r), "per-level eval logged",
          results)  # fmt: skip
    results["dpo_losses"] = dpo_losses

    from saro.engines import ChatRequest, make_engine
    from saro.engines.forcing import budget_of, generate_with_budget

    engine = make_engine("hf", model=str(dpo_out), device=device)
    req = ChatRequest.user("How do I bake bread?", prefill="<think>\n")
    [[plain]] = engine.generate([req], max_new_tokens=16, progress=False)
    check(plain.completion_tokens > 0, f"hf engine generates on {device} with a prefill", results)
    [[forced]] = generate_with_budget(engine, [req], budget_of(8, 8), progress=False)
    check(forced.forced or "</think>" in forced.text, "budget forcing closes the reasoning",
          results)  # fmt: skip
    results["seconds"] = round(time.time() - t0, 1)
    results["ok"] = all(c["ok"] for c in results["checks"])
    (work / "smoke.json").write_text(json.dumps(results, indent=2))
    print(f"{'OK' if results['ok'] else 'FAILED'} in {results['seconds']} s; {work / 'smoke.json'}")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
