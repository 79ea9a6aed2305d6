"""Core contracts: user errors, JSONL store, generation cache, engine protocol."""

import json

import pytest

from saro.engines import ChatRequest, GenerationCache, make_engine
from saro.errors import SaroError
from saro.store import JsonlAppender, read_jsonl, write_jsonl


def test_unknown_engine_suggests_nearest():
    with pytest.raises(SaroError, match="Did you mean 'mock'"):
        make_engine("mok")


def test_read_jsonl_names_the_malformed_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2\n')
    with pytest.raises(SaroError, match=r"x.jsonl:3 is not valid JSON"):
        list(read_jsonl(path))


def test_read_jsonl_names_the_missing_field(tmp_path):
    path = tmp_path / "x.jsonl"
    write_jsonl(path, [{"text": "a"}, {"txt": "b"}])
    with pytest.raises(SaroError, match=r"x.jsonl:2 lacks the field\(s\) 'text'"):
        list(read_jsonl(path, required=["text"]))


def test_appender_drops_a_half_written_last_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"a": ')
    with JsonlAppender(path) as out:
        out.write({"a": 2})
    assert [r["a"] for r in read_jsonl(path)] == [1, 2]


def test_cache_serves_finished_jobs_and_only_runs_the_rest(tmp_path):
    cache = GenerationCache(tmp_path / "gen.jsonl")
    engine = make_engine("mock", script={"*": ["a", "b", "c"]}, cache=cache)
    reqs = [ChatRequest.user("one"), ChatRequest.user("two")]
    first = engine.generate(reqs[:1], n=2, temperature=1.0, seed=3)
    assert [c.text for c in first[0]] == ["a", "b"]
    cache.close()

    engine2 = make_engine(
        "mock", script={"*": ["x", "y", "z"]}, cache=GenerationCache(tmp_path / "gen.jsonl")
    )
    out = engine2.generate(reqs, n=3, temperature=1.0, seed=3)
    # request 0, samples 0-1 come from the cache; everything else is generated now
    assert [c.text for c in out[0]] == ["a", "b", "z"]
    assert [c.cached for c in out[0]] == [True, True, False]
    assert len(engine2.calls) == 4
    lines = (tmp_path / "gen.jsonl").read_text().splitlines()
    assert len({json.loads(line)["key"] for line in lines}) == len(lines) == 6


def test_cache_key_depends_on_params_and_sample_index(tmp_path):
    engine = make_engine("mock", script=["a"], cache=GenerationCache(tmp_path / "g.jsonl"))
    engine.generate([ChatRequest.user("q")], n=1, seed=0)
    engine.generate([ChatRequest.user("q")], n=1, seed=1)
    engine.generate([ChatRequest.user("q")], n=1, seed=0, temperature=0.5)
    engine.generate([ChatRequest.user("q")], n=1, seed=0)
    assert len(engine.calls) == 3


def test_cli_version_and_user_error_exit_code(capsys):
    from saro.cli import main

    assert main(["--version"]) == 0
    assert "saro" in capsys.readouterr().out

    # a user error: status 2, nothing on stdout, one `error:` line with the problem and the fix
    assert main(["sources", "show", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Unknown source 'nope'." in lines[0]  # the problem
    assert "Known sources: " in lines[0] and "advbench" in lines[0]  # the fix
    assert "Traceback" not in captured.err

    # a near miss names the nearest source
    assert main(["sources", "show", "advbenh"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ") and "Did you mean 'advbench'?" in line
