"""A user JSONL file with no records is one clear error (status 2), never an empty success.

``saro judge --input``, ``saro generate --source FILE`` and ``saro eval --prompts FILE`` all read
user files; each names the file and the fix, and writes nothing.
"""

from __future__ import annotations

import pytest

from saro.cli import main
from saro.cli.judge import judge_file
from saro.errors import SaroError
from saro.judges import make_judge

EMPTY = {"empty": "", "blank lines": "\n  \n\n"}


@pytest.fixture(params=sorted(EMPTY))
def empty(request, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text(EMPTY[request.param])
    return path


def error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


def test_judge_refuses_an_input_with_no_records(empty, tmp_path, capsys):
    out = tmp_path / "judged.jsonl"
    assert main(["judge", "refusal", "--input", str(empty), "--out", str(out)]) == 2
    line = error_line(capsys)
    assert f"{empty} holds no records to judge." in line  # the file
    assert "one record per line, each with prompt and response" in line  # the fix
    assert not out.exists()


def test_judge_file_raises_the_same_error_in_place(empty):
    with pytest.raises(SaroError, match="holds no records to judge"):
        judge_file(make_judge("refusal"), empty, empty)
    assert not empty.with_name(empty.name + ".partial").exists()


def test_generate_refuses_a_source_file_with_no_prompts(empty, tmp_path, capsys):
    out = tmp_path / "gen.jsonl"
    args = ["generate", "--source", str(empty), "--kind", "harmful", "--engine", "mock"]
    assert main([*args, "--model", "m", "--out", str(out)]) == 2
    line = error_line(capsys)
    assert f"{empty} holds no prompts." in line and "Add one record per prompt." in line
    assert not out.exists()


def test_eval_refuses_a_prompts_file_with_no_prompts(empty, tmp_path, capsys):
    out = tmp_path / "ev"
    args = ["eval", "--engine", "mock", "--model", "m", "--prompts", str(empty)]
    assert main([*args, "--kind", "harmful", "--out", str(out), "--quiet"]) == 2
    line = error_line(capsys)
    assert f"{empty} holds no prompts." in line and "Add one record per prompt." in line
    assert not out.exists()
