"""`saro chat`: a scripted engine and scripted stdin drive the terminal loop."""

from __future__ import annotations

import io

import pytest

import saro.cli.chat as chat_cli
from saro.cli import main
from saro.engines.mock import MockEngine

REPLY = "<think>\nThe user greets me.\n\nA short hello is enough.\n</think>\n\nHello there!"


@pytest.fixture
def engine(monkeypatch):
    eng = MockEngine(lambda request, index: REPLY)
    monkeypatch.setattr(chat_cli, "make_chat_engine", lambda model, engine="hf": eng)
    return eng


def _run(monkeypatch, capsys, lines, *args):
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code = main(["chat", "--model", "some/model", *args])
    captured = capsys.readouterr()
    _run.err = captured.err
    return code, captured.out


def test_reasoning_hidden_by_default_and_history_kept(monkeypatch, capsys, engine):
    code, out = _run(monkeypatch, capsys, ["hi", "and again?", "/exit", "never read"])
    assert code == 0
    assert out.count("Hello there!") == 2
    assert "The user greets me." not in out
    first, second = (job.request.messages for job in engine.calls)
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"] == "Hello there!"  # the answer, not the reasoning, is kept
    assert first[0] == {"role": "user", "content": "hi"}


def test_show_reasoning_and_toggle(monkeypatch, capsys, engine):
    _, out = _run(monkeypatch, capsys, ["hi"], "--show-reasoning")
    assert "The user greets me." in out and "Hello there!" in out
    _, out = _run(monkeypatch, capsys, ["/reasoning", "hi", "/reasoning", "hi"])
    assert out.count("The user greets me.") == 1 and "(reasoning shown)" in out


def test_reset_forgets_and_end_of_input_quits(monkeypatch, capsys, engine):
    code, out = _run(monkeypatch, capsys, ["one", "/reset", "", "two"])  # EOF ends the loop
    assert code == 0 and "(conversation reset)" in out
    assert len(engine.calls[-1].request.messages) == 1
    assert engine.calls[-1].request.messages[0]["content"] == "two"


def test_unfinished_reasoning_says_so(monkeypatch, capsys):
    eng = MockEngine(["<think>\nstill thinking"])
    monkeypatch.setattr(chat_cli, "make_chat_engine", lambda model, engine="hf": eng)
    _, out = _run(monkeypatch, capsys, ["hi"], "--max-new-tokens", "8")
    assert "the reasoning did not finish" in out and "still thinking" not in out


@pytest.mark.parametrize(
    "args, message", [(["--max-new-tokens", "0"], "--max-new-tokens"),
                      (["--temperature", "-1"], "--temperature")],
)  # fmt: skip
def test_bad_options(monkeypatch, capsys, engine, args, message):
    code, _ = _run(monkeypatch, capsys, [], *args)
    assert code == 2 and message in _run.err
    assert engine.calls == []


def test_unknown_model_is_a_user_error(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["chat", "--model", "no-such-model-name"]) == 2
    assert "Unknown model" in capsys.readouterr().err
