"""``saro sources``: list, show, export, plan, and bad input (exit 2, one message, no traceback)."""

import json
from pathlib import Path

import pytest
from rich.console import Console

from saro.cli import main
from saro.records import Prompt
from saro.store import read_jsonl


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    # rich wraps at 80 columns when not on a terminal; tests read whole cells
    monkeypatch.setattr("saro.cli.sources.console", Console(width=250))


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """A fresh SARO_CACHE that still sees the downloaded wheels."""
    from saro.paths import cache_dir

    wheels = cache_dir() / "wheels"
    root = tmp_path / "cache"
    root.mkdir()
    (root / "wheels").symlink_to(wheels)
    monkeypatch.setenv("SARO_CACHE", str(root))
    return root


def test_list_shows_every_source_with_real_counts(capsys, private_cache):
    assert main(["sources", "list"]) == 0
    out = capsys.readouterr().out
    for needle in (
        "advbench",
        "520",
        "strongreject",
        "313",
        "mmlu",
        "17,194",
        "xstest",
        "hub",
    ):
        assert needle in out
    assert list(private_cache.glob("sources/counts-*.json"))  # counted once, cached
    assert main(["sources", "list"]) == 0


def test_list_fits_80_columns_and_gives_every_column_as_json(capsys, monkeypatch):
    monkeypatch.setattr("saro.cli.sources.console", Console(width=80, record=True))
    assert main(["sources", "list"]) == 0
    from saro.cli import sources

    lines = sources.console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "--wide shows description" in "\n".join(lines)
    capsys.readouterr()
    assert main(["sources", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    advbench = next(r for r in rows if r["name"] == "advbench")
    assert advbench["count"] == 520 and "AdvBench" in advbench["description"]


def test_show_prints_the_first_prompts(capsys):
    assert main(["sources", "show", "overrefusal", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "150 prompts (benign 150)" in out and "overrefusal/overrefusal_med_0" in out
    assert "overrefusal/overrefusal_med_2" not in out


def test_show_a_local_file_and_its_split(capsys, tmp_path):
    path = tmp_path / "mine.jsonl"
    lines = [json.dumps({"q": f"How do I fix bike part number {i}?"}) for i in range(20)]
    path.write_text("\n".join(lines) + "\n")
    assert main(["sources", "show", f"{path}:q", "--kind", "benign", "-n", "1"]) == 0
    assert "How do I fix bike part number 0?" in capsys.readouterr().out
    assert main(["sources", "show", f"{path}:q", "--split", "train", "-n", "0"]) == 0
    assert "16 prompts in split 'train'" in capsys.readouterr().out


def test_export_writes_prompt_records(capsys, tmp_path):
    out = tmp_path / "x" / "general.jsonl"
    assert main(["sources", "export", "general", "--out", str(out)]) == 0
    records = list(read_jsonl(out))
    assert len(records) == 150
    assert Prompt.from_dict(records[0]).id == "general/ref_0"
    assert "Wrote 150 prompts" in capsys.readouterr().out


def test_plan_writes_prompts_and_manifest(capsys, tmp_path):
    out = tmp_path / "plan"
    argv = ["sources", "plan", "--out", str(out), "--source", "overrefusal", "--source", "general"]
    assert main([*argv, "--seed", "3"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert manifest["sources"]["overrefusal"]["splits"]["test"] >= 80
    assert sum(manifest["totals"].values()) == len(list(read_jsonl(out / "prompts.jsonl"))) == 300


def _bad(tmp_path: Path) -> list[tuple[list[str], str]]:
    malformed = tmp_path / "bad.jsonl"
    malformed.write_text('{"text": "a"}\n{oops\n')
    nofield = tmp_path / "nofield.csv"
    nofield.write_text("question\nWhat?\n")
    return [
        (["sources", "show", "advbnch"], "Did you mean 'advbench'"),
        (["sources", "show", str(tmp_path / "nope.jsonl")], "does not exist"),
        (["sources", "show", str(malformed)], "bad.jsonl:2 is not valid JSON"),
        (["sources", "show", f"{nofield}:prompt"], "nofield.csv:2 lacks the prompt field 'prompt'"),
        (["sources", "show", "advbench", "--split", "valid"], "Unknown split 'valid'"),
        (["sources", "show", "advbench", "--kind", "benign"], "has no option 'kind'"),
        (["sources", "export", "nosuch", "--out", str(tmp_path / "o.jsonl")], "Unknown source"),
        (["sources", "plan", "--out", str(tmp_path / "p"), "--threshold", "2"], "out of range"),
    ]


def test_bad_input_exits_2_with_one_clear_message(capsys, tmp_path):
    for argv, message in _bad(tmp_path):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err, (argv, err)
        assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("error:")


def test_unreachable_hub_source_exits_2(capsys, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr("saro.sources.hub.LOAD_DATASET", offline)
    assert main(["sources", "show", "xstest"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "'xstest' is an online source" in err and "offline source 'overrefusal'" in err
    assert "Traceback" not in err
