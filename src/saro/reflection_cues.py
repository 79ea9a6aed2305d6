"""Own-words reflection cues: the one detector of a mid-course correction in reasoning.

Used by the seed RIT-D checks and card (:mod:`saro.datagen.rit`) and by the reflection analysis
(:mod:`saro.analysis.reflection`). A step *reflects* when it carries one of these cues:

* at the start of a sentence: ``No,`` ``Nope`` ``Oops`` ``Correction`` ``Scratch that`` ``On
  reflection`` ``Looking again`` ``Thinking about it more/again`` ``Now that I think``
  ``Rereading`` ``I take that back`` ``That's not right``;
* anywhere: ``I was about to`` ``I realize/realise`` ``I (have) just realized`` ``I made a
  mistake`` ``I misread`` ``I misunderstood`` ``I got that wrong`` ``that was wrong / a mistake``
  ``I should not have`` ``let me revise/redo/fix/rethink`` ``change course/my answer/my mind``
  ``on closer look/inspection/reading`` ``on second look`` ``I went too far / the wrong way``
  ``I was wrong``.

The list is disjoint from the reflection triggers PP-COT inserts ("Wait", "Hold on", "Let me
step back", "Let me reconsider"... in ``saro/data/policy/default.yaml``) and from every other
phrase the preference builders insert (tests/test_analysis.py checks it). The seed traces with a
correction were written to use these cues (``src/saro/data/seed_rit/*_reflect.jsonl``,
``benign_edgy.jsonl``), so counting them in a trained model's reasoning measures whether it
learned RIT-D's way of correcting itself; the recovery suite (``saro/evaluate/recovery.py``) is
the behavioural measure.
"""

from __future__ import annotations

import re

_START = r"(?:^|[.!?:;]\s+|\n\s*)"
SENTENCE_CUES = re.compile(
    _START + r"(?:no,|nope|oops|correction:?|scratch that|on reflection|looking again|"
    r"thinking about it (?:more|again)|now that i think|rereading|re-reading|"
    r"i take (?:that|it) back|that's not right|that is not right)(?=\W)",
    re.IGNORECASE,
)
PHRASE_CUES = re.compile(
    r"\b(?:i was about to|i reali[sz]e|i(?:'ve| have)? just reali[sz]ed|"
    r"i made a mistake|i misread|i misunderstood|i got (?:that|this|it) wrong|"
    r"(?:that|this) (?:was|is) (?:wrong|a mistake)|i should(?:n't| not) have|"
    r"let me (?:revise|redo|fix|rethink)|change (?:course|my answer|my mind)|"
    r"on closer (?:look|inspection|reading)|on second look|"
    r"i went (?:too far|the wrong way)|i was wrong)\b",
    re.IGNORECASE,
)


def reflects(step: str) -> bool:
    """Whether a reasoning step carries an own-words reflection cue."""
    return bool(SENTENCE_CUES.search(step) or PHRASE_CUES.search(step))


def correction_step(steps: list[str]) -> int | None:
    """The 1-based index of the first step after the first that reflects, or None."""
    for i, step in enumerate(steps[1:], start=2):
        if reflects(step):
            return i
    return None
