"""The math and choice judges: extraction tables and verdicts."""

import pytest

from saro.judges import make_judge
from saro.judges.choice import extract_choice, reference_letter
from saro.judges.mathjudge import extract_number, to_value

# answer text, expected value (as a string for Fraction), method
MATH = [
    ("She pays 5 + 13 = 18 dollars.\n#### 18", "18", "####"),
    ("#### 1,234", "1234", "####"),
    ("So the total is $1,234.50.", "1234.5", "last number"),
    ("The answer is \\boxed{42}.", "42", "boxed"),
    ("We get \\boxed{\\frac{3}{4}} cups", "3/4", "boxed"),
    ("\\boxed{\\dfrac{1}{2}} and 7 more", "1/2", "boxed"),
    ("The answer is 7. Check: 3 + 4 = 7, and 10 - 3 = 7 too, plus 99 spare", "7", "answer is"),
    ("Final answer: 0.5", "1/2", "answer is"),
    ("answer: -3 degrees", "-3", "answer is"),
    ("It costs 18 dollars.", "18", "last number"),
    ("He ran 12 km, then 30 km.", "30", "last number"),
    ("About 75%.", "75", "last number"),
    ("3/4 of the cake", "3/4", "last number"),
    ("It was 10-5 at half time", "5", "last number"),  # a hyphen, not a minus
    ("temperature fell to -4.", "-4", "last number"),
    ("1 000 000 people", "1000000", "last number"),
    ("Total: \\$20.", "20", "last number"),
    ("value .5 exactly", "1/2", "last number"),
    ("The answer is 2,500.", "2500", "answer is"),
]


@pytest.mark.parametrize("text, value, method", MATH)
def test_math_extraction(text, value, method):
    found, how = extract_number(text)
    assert to_value(found) == to_value(value)
    assert how == method


@pytest.mark.parametrize("text", ["", "no numbers here", "The answer is unknown."])
def test_math_extraction_finds_nothing(text):
    assert extract_number(text) == (None, None)


@pytest.mark.parametrize(
    "response, reference, correct",
    [
        ("#### 18", "18", True),
        ("The answer is 18.00", "18", True),
        ("$18", "#### 18", True),
        ("0.75", "3/4", True),
        ("The answer is 17.", "18", False),
        ("", "18", False),
        ("<think>\n9 + 9 = 18\n</think>\n\nThe answer is 18.", "18", True),
        ("<think>\n9 + 9 = 18\n</think>\n\nI am not sure.", "18", False),
    ],
)
def test_math_verdicts(response, reference, correct):
    [rec] = make_judge("math").judge(
        [{"prompt": "q", "response": response, "reference": reference}]
    )
    verdict = rec["judges"]["math"]["answer"]
    assert verdict["correct"] is correct and verdict["score"] == float(correct)


def test_math_reasoning_verdict_is_a_diagnostic():
    rec = {"prompt": "q", "response": "<think>\n9 + 9 = 18\n</think>\n\nNo idea.", "reference": 18}
    entry = make_judge("math").judge([rec])[0]["judges"]["math"]
    assert entry["answer"]["correct"] is False
    assert entry["reasoning"]["correct"] is True


def test_math_reference_without_a_number_is_undetermined():
    [rec] = make_judge("math").judge([{"prompt": "q", "response": "5", "reference": "n/a"}])
    verdict = rec["judges"]["math"]["answer"]
    assert verdict["score"] is None and "reference" in verdict["reason"]


OPTS = ["Paris", "London", "Paris, Texas", "Berlin"]
# answer text, choices, expected letter, method
CHOICE = [
    ("(B)", None, "B", "parenthesized"),
    ("Answer: C", None, "C", "explicit"),
    ("the answer is b.", None, "B", "explicit"),
    ("The correct answer is (d) because...", None, "D", "explicit"),
    ("I think option A is wrong, so the answer is B", None, "B", "explicit"),
    ("Let me pick choice C", None, "C", "explicit"),
    ("B", None, "B", "bare"),
    (" c. ", None, "C", "bare"),
    ("D) Berlin", OPTS, "D", "leading"),
    ("A. Paris is the capital", OPTS, "A", "leading"),
    ("It is London, of course.", OPTS, "B", "option text"),
    ("Paris, Texas is a film.", OPTS, "C", "option text"),  # longer option wins
    ("the answer is a bird", None, None, None),  # lower-case 'a' is an article here
    ("I don't know", None, None, None),
    ("(A) or (B), hard to say", None, None, "ambiguous letters"),
    ("Paris or London", OPTS, None, "ambiguous option text"),
    ("Answer: E", OPTS, None, None),  # only four options
    ("", None, None, None),
]


@pytest.mark.parametrize("text, choices, letter, method", CHOICE)
def test_choice_extraction(text, choices, letter, method):
    got, how = extract_choice(text, choices)
    assert got == letter
    if method:
        assert how == method


@pytest.mark.parametrize(
    "reference, choices, letter",
    [("B", None, "B"), ("(c)", None, "C"), ("London", OPTS, "B"), ("nonsense", OPTS, None)],
)
def test_choice_reference(reference, choices, letter):
    assert reference_letter(reference, choices) == letter


def test_choice_verdicts():
    recs = [
        {"prompt": "q", "response": "The answer is (B).", "reference": "B"},
        {"prompt": "q", "response": "Berlin", "reference": "A", "choices": OPTS},
        {"prompt": "q", "response": "<think>\nMaybe A.\n</think>\n\nC", "reference": "c"},
        {"prompt": "q", "response": "B", "reference": "zzz"},
    ]
    out = [r["judges"]["choice"] for r in make_judge("choice").judge(recs)]
    assert [o["answer"]["correct"] for o in out] == [True, False, True, None]
    assert out[2]["reasoning"] is None  # choice judges the answer only
    assert out[3]["answer"]["score"] is None and "reference" in out[3]["answer"]["reason"]
