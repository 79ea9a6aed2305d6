"""``saro models``: list the named models and prepare one for offline use.

Usage::

    saro models list
    saro models prepare smollm2-135m
    saro models prepare ./my-checkpoint        # checks a local folder
"""

from __future__ import annotations

import typer
from rich.console import Console

from saro.cli.tables import FORMAT_OPTION, WIDE_OPTION, Column, emit

app = typer.Typer(help="Models: list the registry, prepare a model.", no_args_is_help=True)
console = Console()


@app.command("list")
def list_models(fmt: str = FORMAT_OPTION, wide: bool = WIDE_OPTION) -> None:
    """Show every named model: parameters, license, whether it is prepared, and its source."""
    from saro.models import DEFAULT_MODEL, model_rows

    rows = [
        {**row, "name": row["name"] + (" (default)" if row["name"] == DEFAULT_MODEL else "")}
        for row in model_rows()
    ]
    columns = [Column("name"), Column("params", right=True), Column("license"),
               Column("prepared"), Column("source", wide=True)]  # fmt: skip
    emit(
        rows, columns, title="Models", fmt=fmt, wide=wide, console=console,
        note="Any hub id or local folder works too.",
    )  # fmt: skip


@app.command("prepare")
def prepare(
    name: str = typer.Argument(..., help="A registry name, a local folder or a hub id."),
    force: bool = typer.Option(False, "--force", help="Redo a registry model's conversion."),
    trust_remote_code: bool = typer.Option(
        False, "--trust-remote-code", help="Allow custom modelling code from the model's files."
    ),
) -> None:
    """Convert or download a model once, then print its local folder."""
    from saro.models import MODELS, prepare_model, resolve_model

    if name in MODELS:
        with console.status(f"Preparing {name} (first time: about a minute)..."):
            folder = prepare_model(name, force=force)
    else:
        folder = resolve_model(name, trust_remote_code=trust_remote_code)
    console.print(f"{name}: ready in {folder}")
