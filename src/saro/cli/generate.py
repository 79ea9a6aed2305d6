"""``saro generate``: completions for a source's prompts (see :mod:`saro.engines.generation`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console(stderr=True)


def generate(
    source: str = typer.Option(..., "--source", "-s", help="Source name or local file spec."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSONL file."),
    model: str = typer.Option("smollm2-135m", "--model", "-m", help="Model name, folder, hub id."),
    split: str = typer.Option(None, "--split", help="train | dev | test (default: all)."),
    limit: int = typer.Option(None, "--limit", min=1, help="Use the first N prompts."),
    n: int = typer.Option(1, "--n", min=1, help="Samples per prompt."),
    temperature: float = typer.Option(0.0, "--temperature", "-t", min=0.0),
    top_p: float = typer.Option(1.0, "--top-p", min=0.0, max=1.0),
    max_new_tokens: int = typer.Option(256, "--max-new-tokens", min=1),
    seed: int = typer.Option(0, "--seed"),
    system: str = typer.Option(None, "--system", help="Optional system prompt."),
    engine: str = typer.Option("hf", "--engine", "-e", help="hf | openai | vllm | mock."),
    base_url: str = typer.Option(None, "--base-url", help="Endpoint for --engine openai."),
    api_key_env: str = typer.Option(
        "OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the API key."
    ),
    kind: str = typer.Option(None, "--kind", help="Prompt kind for a local file source."),
) -> None:
    """Generate completions for a source's prompts and write them to a JSONL file.

    Completions are written to OUT only, never echoed: they may answer harmful prompts.
    A killed run resumes from the generation cache.
    """
    from saro.engines.factory import build_engine
    from saro.engines.generation import generate_records
    from saro.sources import load_source
    from saro.store import write_jsonl

    opts = {"kind": kind} if kind else {}
    prompts = load_source(source, split=split, **opts)
    if limit:
        prompts = prompts[:limit]
    if not prompts:
        console.print(f"[yellow]No prompts in {source!r}{f' split {split!r}' if split else ''}.")
        raise typer.Exit(1)
    engine_opts: dict = {}
    if engine == "openai":
        engine_opts = {"base_url": base_url, "api_key_env": api_key_env}
    eng = build_engine(engine, model, **engine_opts)
    records = generate_records(
        eng,
        prompts,
        n=n,
        system=system,
        temperature=temperature,
        top_p=top_p,
        max_new_tokens=max_new_tokens,
        seed=seed,
    )
    write_jsonl(out, records)
    cached = sum(1 for r in records if r.get("cached"))
    tokens = sum(r["completion_tokens"] for r in records)
    console.print(
        f"Wrote {len(records)} completions for {len(prompts)} prompts ({tokens} new tokens"
        f"{f', {cached} from cache' if cached else ''}) to {out}."
    )
