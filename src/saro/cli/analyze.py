"""``saro analyze``, ``saro report`` and ``saro chat``.

Usage::

    saro analyze runs/demo [--only reflection,effects] [--no-embeddings]
    saro report runs/demo
    saro chat --model runs/demo/models/saro [--show-reasoning] [--max-new-tokens 512]

``chat`` keeps the conversation (user turns and the model's final answers; earlier reasoning is
not fed back, as with other reasoning models), hides the reasoning unless asked, and knows three
commands: ``/reset`` (forget the conversation), ``/reasoning`` (toggle showing it) and ``/exit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from saro.errors import SaroError


def analyze_command(
    run_dir: str = typer.Argument(..., help="A run directory (saro run --out)."),
    only: str = typer.Option("", "--only", help="Comma-separated analyses (default: all)."),
    no_embeddings: bool = typer.Option(
        False,
        "--no-embeddings",
        help="Skip the embedding analysis (the only one that loads models).",
    ),
    n_per_kind: int = typer.Option(30, "--n-per-kind", help="Prompts per kind for embeddings."),
) -> None:
    """Run the paper's analyses on a run directory: PNG + JSON under RUN_DIR/analysis."""
    from saro.analysis import analyze

    if n_per_kind < 2:
        raise SaroError("--n-per-kind must be at least 2.", "Pass e.g. --n-per-kind 30.")
    names = tuple(n.strip() for n in only.split(",") if n.strip()) or None
    analyze(
        run_dir, only=names, embeddings=not no_embeddings, n_per_kind=n_per_kind, echo=typer.echo
    )


def report_command(
    run_dir: str = typer.Argument(..., help="A run directory (saro run --out)."),
) -> None:
    """Write RUN_DIR/report.md and a self-contained RUN_DIR/report.html from disk alone."""
    from saro.report import write_report

    md, html = write_report(run_dir)
    if not (md.parent / "analysis" / "index.json").exists():
        typer.echo(f"note: no analyses yet; run `saro analyze {run_dir}` for the plots.")
    typer.echo(str(md))
    typer.echo(str(html))


def make_chat_engine(model: str) -> Any:
    """The engine ``saro chat`` talks to (tests replace this function with a mock)."""
    from saro.engines import make_engine

    return make_engine("hf", model=model)


def chat_loop(
    engine: Any,
    *,
    show_reasoning: bool = False,
    max_new_tokens: int = 512,
    temperature: float = 0.0,
    console: Console | None = None,
    read: Callable[[], str] | None = None,
) -> int:
    """Talk to ``engine`` until ``/exit`` or end of input; returns the number of replies."""
    from rich.prompt import Prompt

    from saro.engines import ChatRequest
    from saro.reasoning import parse

    console = console or Console()
    read = read or (lambda: Prompt.ask("[bold cyan]you[/]", console=console))
    history: list[dict[str, str]] = []
    replies = 0
    console.print("[dim]/reset forgets the conversation, /reasoning toggles it, /exit quits.[/]")
    while True:
        try:
            text = read()
        except (EOFError, KeyboardInterrupt):
            break
        command = text.strip()
        if not command:
            continue
        if command in ("/exit", "/quit"):
            break
        if command == "/reset":
            history.clear()
            console.print("[dim](conversation reset)[/]")
            continue
        if command == "/reasoning":
            show_reasoning = not show_reasoning
            console.print(f"[dim](reasoning {'shown' if show_reasoning else 'hidden'})[/]")
            continue
        history.append({"role": "user", "content": text})
        [[reply]] = engine.generate(
            [ChatRequest(tuple(history))],
            temperature=temperature,
            max_new_tokens=max_new_tokens,
            progress=False,
        )
        parsed = parse(reply.text)
        if show_reasoning and parsed.reasoning:
            console.print(Text(parsed.reasoning, style="dim"))
        answer = parsed.answer
        if not answer:
            note = "(no answer: the reasoning did not finish; try a larger --max-new-tokens)"
            console.print(Text(note, style="yellow"))
        else:
            console.print(Text("model: ", style="bold green") + Text(answer))
        history.append({"role": "assistant", "content": answer})
        replies += 1
    return replies


def chat_command(
    model: str = typer.Option(..., "--model", "-m", help="Model folder, registry name or hub id."),
    show_reasoning: bool = typer.Option(
        False, "--show-reasoning", help="Print the reasoning (dimmed) before each answer."
    ),
    max_new_tokens: int = typer.Option(512, "--max-new-tokens", help="Tokens per reply."),
    temperature: float = typer.Option(0.0, "--temperature", help="0 = greedy."),
) -> None:
    """Chat with a model in the terminal; reasoning hidden unless --show-reasoning."""
    if max_new_tokens < 1:
        raise SaroError("--max-new-tokens must be positive.", "Pass e.g. --max-new-tokens 512.")
    if temperature < 0:
        raise SaroError("--temperature must be >= 0.", "Pass 0 for greedy decoding.")
    engine = make_chat_engine(model)
    chat_loop(
        engine,
        show_reasoning=show_reasoning,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
    )
