"""``saro policy``: show the safety policy (the packaged default or your own file).

saro policy show                         # the teacher rendering of the default policy
saro policy show --kind brief            # one line per category
saro policy show --format yaml           # the YAML itself
saro policy show --file my_policy.yaml   # validate and show your own policy
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from saro.errors import SaroError, unknown_name
from saro.policy import RENDER_KINDS, Policy

app = typer.Typer(help="The safety policy: show it, or check your own policy file.")

FORMATS = ("text", "yaml")


@app.command("show")
def show(
    file: Path | None = typer.Option(
        None, "--file", "-f", help="A policy YAML to use instead of the packaged default."
    ),
    fmt: str = typer.Option("text", "--format", help="text (rendered) or yaml (the file)."),
    kind: str = typer.Option(
        "teacher", "--kind", help="Rendering for --format text: teacher, judge or brief."
    ),
) -> None:
    """Print the policy, validating it first."""
    if fmt not in FORMATS:
        raise unknown_name("format", fmt, FORMATS)
    if kind not in RENDER_KINDS:
        raise unknown_name("policy rendering", kind, RENDER_KINDS)
    policy = Policy.load(file)  # validates; a bad file ends in a SaroError
    if fmt == "yaml":
        if file is None:
            text = resources.files("saro.data").joinpath("policy/default.yaml").read_text("utf-8")
        else:
            try:
                text = file.read_text("utf-8")
            except OSError as err:  # pragma: no cover - load() already read it
                raise SaroError(f"Cannot read {file}: {err.strerror}.", "Check the path.") from None
        typer.echo(text, nl=False)
        return
    typer.echo(policy.render(kind), nl=False)
