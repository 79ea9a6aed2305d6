"""``saro chat``: talk to a model in the terminal.

Usage::

    saro chat --model runs/demo/models/saro [--show-reasoning] [--max-new-tokens 512]
    saro chat --engine llamacpp --model exports/saro-gguf/saro-saro.q8_0.gguf

The conversation keeps the user turns and the model's final answers (earlier reasoning is not
fed back, as with other reasoning models); the reasoning is hidden unless asked for. Three
commands: ``/reset`` (forget the conversation), ``/reasoning`` (toggle showing it), ``/exit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from saro.errors import SaroError

CHAT_ENGINES = ("hf", "llamacpp")


def make_chat_engine(model: str, engine: str = "hf") -> Any:
    """The engine ``saro chat`` talks to (tests replace this function with a mock): ``hf`` for a
    model folder, ``llamacpp`` for a GGUF file (the optional extra)."""
    from saro.engines import make_engine
    from saro.errors import unknown_name

    if engine not in CHAT_ENGINES:
        raise unknown_name("chat engine", engine, CHAT_ENGINES)
    return make_engine(engine, model=model)


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
    engine: str = typer.Option(
        "hf", "--engine", "-e", help="hf (model folder) | llamacpp (GGUF file, optional extra)."
    ),
) -> None:
    """Chat with a model in the terminal; reasoning hidden unless --show-reasoning."""
    if max_new_tokens < 1:
        raise SaroError("--max-new-tokens must be positive.", "Pass e.g. --max-new-tokens 512.")
    if temperature < 0:
        raise SaroError("--temperature must be >= 0.", "Pass 0 for greedy decoding.")
    chat_loop(
        make_chat_engine(model, engine),
        show_reasoning=show_reasoning,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
    )
