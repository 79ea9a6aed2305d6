"""The ``saro`` command line: one subcommand (or group) per stage.

Each area lives in its own module (``cli/sources.py``, ``cli/models.py``, ...) that defines a
``typer.Typer`` or a command and is attached in :func:`build_app`. User errors
(:class:`saro.errors.SaroError`) print one clear message and exit with status 2.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console
from rich.markup import escape

from saro import __version__
from saro.errors import SaroError, disk_full

err_console = Console(stderr=True)

# (module, attribute, name): a Typer sub-app is added as a group, a function as a command.
_PARTS: list[tuple[str, str, str]] = [
    ("saro.cli.sources", "app", "sources"),
    ("saro.cli.attacks", "app", "attacks"),
    ("saro.cli.models", "app", "models"),
    ("saro.cli.generate", "generate", "generate"),
    ("saro.cli.data", "app", "data"),
    ("saro.cli.run", "run", "run"),
    ("saro.cli.policy", "app", "policy"),
    ("saro.cli.train", "app", "train"),
    ("saro.cli.judge", "judge", "judge"),
    ("saro.cli.eval", "eval_command", "eval"),
    ("saro.cli.eval", "compare_command", "compare"),
    ("saro.cli.analyze", "analyze_command", "analyze"),
    ("saro.cli.analyze", "report_command", "report"),
    ("saro.cli.chat", "chat_command", "chat"),
    ("saro.cli.export", "export_command", "export"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"saro {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="saro",
        help="SaRO: build reasoning data, train RW + SRPO, evaluate safety, over-refusal and "
        "capability, and report.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        """SaRO command line."""

    for module, attr, name in _PARTS:
        obj = getattr(importlib.import_module(module), attr)  # a missing module is a bug: fail
        if isinstance(obj, typer.Typer):
            app.add_typer(obj, name=name)
        else:
            app.command(name=name)(obj)
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 user error)."""
    app = build_app()
    try:
        app(args=argv, prog_name="saro", standalone_mode=False)
    except SaroError as err:
        # one line whatever the terminal width; the message is text, not markup
        message = f"[bold red]error:[/] {escape(str(err))}"
        err_console.print(message, highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as ex:
        return ex.exit_code
    except typer.Abort:
        err_console.print("Aborted.")
        return 130
    except Exception as err:  # click usage errors, a full disk
        import click

        if isinstance(err, click.exceptions.ClickException):
            err.show()
            return err.exit_code
        full = disk_full(err)
        if full is not None:
            err_console.print(f"[bold red]error:[/] {escape(str(full))}", highlight=False,
                              soft_wrap=True)  # fmt: skip
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
