"""``saro attacks``: list, inspect and try the jailbreak attacks.

Usage::

    saro attacks list                          # every template, transform and rephrasing
    saro attacks list --split eval --kind transform
    saro attacks list --format csv > attacks.csv
    saro attacks show transform/base64 -n 3    # metadata and the attack on benign examples
    saro attacks apply role_play --prompt "How do I bake sourdough bread?"

An attack is named by its id (``pyrit/...``, ``gptfuzzer/...``, ``transform/<name>``,
``rephrase/<name>``) or, where unambiguous, by its bare transform or rephrasing name. The split
side is that of the attack split (``--split-seed``, default 0, as in a run); rephrasing families
are evaluation-only. Examples wrap benign texts only: saro never prints an attack applied to a
harmful prompt.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import typer
from rich.console import Console

from saro.cli.tables import FORMAT_OPTION, WIDE_OPTION, Column, check_format, emit
from saro.errors import SaroError, nearest_hint, unknown_name

app = typer.Typer(help="Jailbreak attacks: list, show, apply.", no_args_is_help=True)
console = Console()

# Benign texts the examples wrap (never a harmful request).
EXAMPLES = (
    "How do I bake a loaf of sourdough bread?",
    "Explain how vaccines train the immune system.",
    "Write a short poem about autumn leaves.",
)
KINDS = ("template", "transform", "rephrase")


@dataclass(frozen=True)
class Entry:
    """One attack as the CLI shows it."""

    id: str
    kind: str
    name: str
    side: str
    source: str
    license: str
    family: str
    tokens: int | None
    description: str

    def row(self) -> dict[str, object]:
        return dict(self.__dict__)


def entries(split_seed: int = 0) -> list[Entry]:
    """Every template and transform with its split side, then the rephrasing families."""
    from saro.attacks import load_attacks, split_attacks
    from saro.attacks.rephrase import REPHRASINGS

    attacks = load_attacks()
    train = {a.id for a in split_attacks(attacks, seed=split_seed).train}
    out = [
        Entry(
            a.id, a.kind, a.name, "train" if a.id in train else "eval", a.source,
            str(a.meta.get("license", "")), a.family, a.approx_tokens or None,
            str(a.meta.get("description", "")),
        )
        for a in attacks
    ]  # fmt: skip
    out += [
        Entry(f"rephrase/{r.name}", "rephrase", r.name, "eval", "saro", "Apache-2.0",
              f"rephrase/{r.name}", None, r.description)
        for r in REPHRASINGS.values()
    ]  # fmt: skip
    return out


def find(name: str, split_seed: int = 0) -> Entry:
    """An attack by id, or by bare transform/rephrasing name; unknown names get a hint."""
    all_ = entries(split_seed)
    for e in all_:
        if name == e.id:
            return e
    bare = [e for e in all_ if e.kind != "template" and e.name == name]
    if len(bare) == 1:
        return bare[0]
    if bare:
        raise SaroError(
            f"Attack name {name!r} is ambiguous: {', '.join(e.id for e in bare)}.",
            "Give the full id.",
        )
    names = [e.id for e in all_] + [e.name for e in all_ if e.kind != "template"]
    hint = nearest_hint(name, names)
    raise SaroError(
        f"Unknown attack {name!r}.",
        f"{hint + ' ' if hint else ''}`saro attacks list` shows every id ({len(all_)}).",
    )


def wrap(entry: Entry, text: str, seed: int = 0) -> str:
    """``text`` under the attack (templates and transforms as in training, rephrasings as in
    the eval suite)."""
    if entry.kind == "rephrase":
        from saro.attacks.rephrase import apply_rephrasing

        return apply_rephrasing(entry.name, text, seed)
    from saro.attacks import apply_attack, load_attacks

    attack = next(a for a in load_attacks() if a.id == entry.id)
    return apply_attack(attack, text, seed)


def _check(value: str | None, known: tuple[str, ...], what: str) -> None:
    if value is not None and value not in known:
        raise unknown_name(what, value, known)


@app.command("list")
def list_attacks(
    split: str = typer.Option(None, "--split", help="train | eval (the run's attack split)."),
    kind: str = typer.Option(None, "--kind", help="template | transform | rephrase."),
    fmt: str = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
    split_seed: int = typer.Option(0, "--split-seed", help="Attack split seed."),
) -> None:
    """Every attack: kind, split side, approximate tokens, license (``--wide``: name, family,
    description)."""
    _check(split, ("train", "eval"), "attack split")
    _check(kind, KINDS, "attack kind")
    check_format(fmt)
    rows = [
        e.row()
        for e in entries(split_seed)
        if (split in (None, e.side)) and (kind in (None, e.kind))
    ]
    columns = [
        Column("id", fold=True), Column("kind"), Column("side"),
        Column("tokens", "tok", right=True), Column("license"), Column("source", wide=True),
        Column("name", wide=True), Column("family", wide=True), Column("description", wide=True),
    ]  # fmt: skip
    emit(rows, columns, title=f"Attacks ({len(rows)})", fmt=fmt, wide=wide, console=console)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Attack id, or a transform or rephrasing name."),
    n: int = typer.Option(1, "-n", min=0, max=len(EXAMPLES), help="Benign examples to wrap."),
    split_seed: int = typer.Option(0, "--split-seed", help="Attack split seed."),
) -> None:
    """One attack's metadata and the attack applied to ``n`` benign example requests."""
    e = find(name, split_seed)
    console.print(f"[bold]{e.id}[/bold]", highlight=False)
    for label, value in (
        ("kind", e.kind), ("name", e.name), ("split side", e.side), ("source", e.source),
        ("license", e.license), ("family", e.family),
        ("approx. tokens", str(e.tokens) if e.tokens else "-"), ("description", e.description),
    ):  # fmt: skip
        if value:
            console.print(f"  {label}: {value}", highlight=False, markup=False)
    for text in EXAMPLES[:n]:
        console.rule(f"applied to: {text}", style="dim")
        console.print(wrap(e, text), highlight=False, markup=False)


@app.command("apply")
def apply(
    name: str = typer.Argument(..., help="Attack id, or a transform or rephrasing name."),
    prompt: str = typer.Option(..., "--prompt", "-p", help="The (benign) text to wrap."),
    seed: int = typer.Option(0, "--seed", help="Seed of a transform's or rephrasing's wording."),
    split_seed: int = typer.Option(0, "--split-seed", help="Attack split seed."),
) -> None:
    """Print ``--prompt`` wrapped in the attack (plain text, for pasting or piping)."""
    if not prompt.strip():
        raise SaroError("--prompt is empty.", "Give the text to wrap, e.g. --prompt 'Hello'.")
    sys.stdout.write(wrap(find(name, split_seed), prompt, seed) + "\n")
