"""The reasoning format: rendering is exact, parsing is tolerant."""

import pytest

from saro.errors import SaroError
from saro.reasoning import join_prefix, parse, render, split_steps, strip_reasoning

STEPS = ["The user asks for X.", "X falls under category H2.\nA list line.", "So I refuse."]


def test_render_has_the_canonical_shape():
    assert render(["a", "b"], "ans") == "<think>\na\n\nb\n</think>\n\nans"
    assert render([], "ans") == "<think>\n\n</think>\n\nans"


@pytest.mark.parametrize("k", range(len(STEPS) + 1))
def test_prefix_of_k_steps_is_byte_exact(k):
    text = render(STEPS, "Final.")
    assert text.startswith(join_prefix(STEPS[:k]))
    assert join_prefix(STEPS[:k]) == "<think>\n" + "\n\n".join(STEPS[:k])
    # after k steps the text goes on with the first step (k=0), "\n\n" + the next step,
    # or "\n</think>" (k = all steps)
    rest = text[len(join_prefix(STEPS[:k])) :]
    if k == 0:
        expected = STEPS[0]
    elif k == len(STEPS):
        expected = "\n</think>"
    else:
        expected = "\n\n" + STEPS[k]
    assert rest.startswith(expected)


def test_round_trip_is_exact():
    p = parse(render(STEPS, "Final answer.\n\nSecond paragraph."))
    assert p.steps == STEPS
    assert p.answer == "Final answer.\n\nSecond paragraph."
    assert p.well_formed and p.problem is None
    assert split_steps(p.reasoning) == STEPS


@pytest.mark.parametrize(
    "bad, match",
    [
        (["ok", "  "], "step 1 is empty"),
        (["para one\n\npara two"], "blank line"),
        (["I <think> again"], "think tag"),
    ],
)
def test_render_rejects_steps_that_would_not_round_trip(bad, match):
    with pytest.raises(SaroError, match=match):
        render(bad, "a")


# text, reasoning, answer, well_formed, problem substring
CASES = [
    ("<think>\na\n\nb\n</think>\n\nans", "a\n\nb", "ans", True, None),
    ("<think>a</think>ans", "a", "ans", True, None),  # no newlines: still canonical
    ("  \n<think>\na\n</think>\n\nans  \n", "a", "ans", True, None),  # outer whitespace
    ("<think>\na\r\n\r\nb\n</think>\r\n\r\nans", "a\n\nb", "ans", True, None),  # CRLF
    ("just an answer", "", "just an answer", False, "no <think> block"),
    ("", "", "", False, "no <think> block"),
    (
        "<think>\nstep one\n\nstep two cut o",
        "step one\n\nstep two cut o",
        "",
        False,
        "missing </think>",
    ),
    ("<think>\n\n</think>\n\nans", "", "ans", True, None),  # empty think
    ("<think>\na\n</think>", "a", "", False, "empty answer"),
    ("<think>\na\n</think>\n\n   ", "a", "", False, "empty answer"),
    ("Sure. <think>a</think> ans", "a", "Sure.\n\nans", False, "text before <think>"),
    ("a\n\nb\n</think>\n\nans", "a\n\nb", "ans", False, "missing <think>"),
    ("<think> a <think> b </think> c </think> ans", "a  b  c", "ans", False, "nested"),
    ("<think> a <think> b </think> ans", "a  b", "ans", False, "unbalanced"),
    ("<think>a</think> mid <think>b</think> end", "a\n\nb", "mid\n\nend", False, "repeated"),
    ("<think>a</think> ans </think> more", "a", "ans\n\nmore", False, "stray </think>"),
    ("<THINK>a</ Think >ans", "a", "ans", False, "non-canonical"),
    ("< think >\na\n< /think >\nans", "a", "ans", False, "non-canonical"),
    ("<think>a</think>\n\n<think>", "a", "", False, "missing </think>"),
]


@pytest.mark.parametrize("text, reasoning, answer, well_formed, problem", CASES)
def test_parse_tolerates_what_models_write(text, reasoning, answer, well_formed, problem):
    p = parse(text)
    assert (p.reasoning, p.answer, p.well_formed) == (reasoning, answer, well_formed)
    if problem is None:
        assert p.problem is None
    else:
        assert problem in p.problem
    assert p.steps == split_steps(p.reasoning)
    assert strip_reasoning(text) == answer


@pytest.mark.parametrize(
    "reasoning, steps",
    [
        ("a\n\nb", ["a", "b"]),
        ("a\nstill a\n\n\n\nb", ["a\nstill a", "b"]),
        ("a\n   \nb", ["a", "b"]),  # a line of spaces is blank
        ("\n\n a \n\n", ["a"]),
        ("", []),
    ],
)
def test_split_steps_at_blank_lines(reasoning, steps):
    assert split_steps(reasoning) == steps


def test_none_is_parsed_as_empty():
    assert parse(None).answer == ""  # type: ignore[arg-type]
