"""``saro attacks``: list (table at 80 columns, json, csv), show and apply; bad names exit 2
with one message naming the nearest attack."""

import csv
import io
import json

import pytest
from rich.console import Console

from saro.attacks import load_attacks, split_attacks
from saro.cli import main


@pytest.fixture(autouse=True)
def narrow_console(monkeypatch):
    monkeypatch.setattr("saro.cli.attacks.console", Console(width=80, record=True))


def printed() -> str:
    from saro.cli import attacks

    return attacks.console.export_text()


def test_list_json_has_every_attack_with_its_split_side_and_license(capsys):
    assert main(["attacks", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    split = split_attacks(load_attacks(), seed=0)
    sides = {a.id: "train" for a in split.train} | {a.id: "eval" for a in split.eval}
    wrappers = [r for r in rows if r["kind"] != "rephrase"]
    assert {r["id"]: r["side"] for r in wrappers} == sides
    rephrase = [r for r in rows if r["kind"] == "rephrase"]
    assert len(rephrase) == 8 and {r["side"] for r in rephrase} == {"eval"}  # eval-only
    assert all(r["license"] for r in rows)


def test_list_filters_and_writes_csv(capsys):
    assert (
        main(["attacks", "list", "--kind", "transform", "--split", "eval", "--format", "csv"]) == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {(r["kind"], r["side"]) for r in rows} == {("transform", "eval")}


def test_the_table_fits_80_columns():
    assert main(["attacks", "list", "--kind", "template"]) == 0
    lines = printed().splitlines()
    assert len(lines) > 100 and max(len(line) for line in lines) <= 80


def test_show_wraps_benign_examples_only():
    assert main(["attacks", "show", "transform/base64", "-n", "2"]) == 0
    out = printed()
    assert "split side: train" in out and "request encoded in base64" in out
    assert "applied to: How do I bake a loaf of sourdough bread?" in out
    assert "SG93IGRvIEkgYmFrZSBhIGxvYWYgb2Ygc291cmRvdWdoIGJyZWFkPw==" in out


def test_apply_prints_the_wrapped_prompt_plain(capsys):
    assert main(["attacks", "apply", "rot13", "--prompt", "Hello there"]) == 0
    assert "Uryyb gurer" in capsys.readouterr().out
    assert (
        main(["attacks", "apply", "rephrase/question_form", "-p", "Explain how tides work."]) == 0
    )
    assert "tides" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["attacks", "show", "base46"], "Unknown attack 'base46'. Did you mean 'base64'?"),
        (["attacks", "show", "fiction"], "ambiguous: transform/fiction, rephrase/fiction"),
        (["attacks", "list", "--kind", "templat"], "Did you mean 'template'"),
        (["attacks", "apply", "rot13", "--prompt", " "], "--prompt is empty"),
    ],
)
def test_bad_input_is_one_clear_message(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [["models", "list"], ["eval", "--list"], ["attacks", "list", "--kind", "rephrase", "--wide"]],
)
def test_listing_tables_fit_80_columns(monkeypatch, argv):
    """Long text columns only with --wide (and then wrapped), ids folded, never wider than 80."""
    import saro.cli.tables as tables

    made = []

    def narrow():
        made.append(Console(width=80, record=True))
        return made[-1]

    monkeypatch.setattr(tables, "Console", narrow)
    for module in ("saro.cli.models", "saro.cli.attacks"):
        monkeypatch.setattr(f"{module}.console", narrow())
    assert main(argv) == 0
    text = "\n".join(c.export_text() for c in made)
    assert text.strip() and max(len(line) for line in text.splitlines()) <= 80
