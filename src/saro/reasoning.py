"""The reasoning format: ``<think>`` step paragraphs ``</think>`` then the final answer.

A rendered response looks exactly like this::

    <think>
    first step paragraph

    second step paragraph
    </think>

    final answer

Steps are separated by one blank line and may not contain blank lines themselves, so
:func:`split_steps` recovers them exactly, and the first ``k`` steps of a rendered response are
the byte-exact prefix ``join_prefix(steps[:k])`` (PP-COT cuts a response after step ``k`` and
continues it with ``"\\n\\n" + next_step``).

:func:`parse` is tolerant, because it reads what models write: a missing close tag, no tags at
all, an empty block, nested or repeated tags, odd spacing or capitalisation of the tags, and text
before ``<think>``. Text inside think blocks is reasoning; every other piece of text is what a
user would see, so it is the answer (the judges rely on this: visible text is never hidden as
reasoning). ``well_formed`` is True only for the canonical shape: one block at the start, tags
spelled exactly, a non-empty answer after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from saro.errors import SaroError

OPEN = "<think>"
CLOSE = "</think>"

# Tolerated spellings: any case, spaces inside the angle brackets.
_TAG = re.compile(r"<\s*(/?)\s*think\s*>", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass
class Parsed:
    """A response split into reasoning and answer.

    Attributes:
        reasoning: Text inside the think block(s), tags removed, stripped.
        steps: ``split_steps(reasoning)``.
        answer: The text a user sees (everything outside think blocks), stripped.
        well_formed: True for the canonical shape :func:`render` produces.
        problem: Why it is not well formed (None when it is).
    """

    reasoning: str
    steps: list[str] = field(default_factory=list)
    answer: str = ""
    well_formed: bool = True
    problem: str | None = None

    @property
    def has_reasoning(self) -> bool:
        return bool(self.reasoning)


def _check_step(i: int, step: str) -> str:
    if not step.strip():
        raise SaroError(f"Reasoning step {i} is empty.", "Drop empty steps before rendering.")
    if _BLANK_LINE.search(step.strip()):
        raise SaroError(
            f"Reasoning step {i} contains a blank line, which would split it into two steps.",
            "Join its paragraphs with single newlines, or make them separate steps.",
        )
    if _TAG.search(step):
        raise SaroError(f"Reasoning step {i} contains a think tag.", "Remove the tag.")
    return step.strip()


def render(steps: list[str], answer: str) -> str:
    """Render steps and an answer in the canonical format.

    Raises:
        SaroError: A step is empty, holds a blank line or a think tag.
    """
    clean = [_check_step(i, s) for i, s in enumerate(steps)]
    return f"{join_prefix(clean)}\n{CLOSE}\n\n{answer.strip()}"


def join_prefix(steps: list[str]) -> str:
    """The exact text of the first steps as they appear in a rendered response.

    ``render(steps, a).startswith(join_prefix(steps[:k]))`` holds for every ``k``. The rendered
    text goes on with the first step (``k == 0``), ``"\\n\\n"`` and the next step, or
    ``"\\n</think>"`` after the last step.
    """
    return OPEN + "\n" + "\n\n".join(s.strip() for s in steps)


def split_steps(reasoning: str) -> list[str]:
    """Split reasoning into step paragraphs at blank lines; empty paragraphs are dropped."""
    text = reasoning.replace("\r\n", "\n")
    return [p.strip() for p in _BLANK_LINE.split(text) if p.strip()]


def strip_reasoning(text: str) -> str:
    """The final answer of a response: everything a user would see."""
    return parse(text).answer


def _join(parts: list[str]) -> str:
    return "\n\n".join(p for p in (x.strip() for x in parts) if p)


def parse(text: str) -> Parsed:
    """Split a response into reasoning and answer, tolerating malformed output.

    Rules:
      * no tags at all: everything is the answer;
      * a close tag before any open tag: the text before it is reasoning (the chat template
        or a prefill opened the block);
      * blocks nest: an open inside a block deepens it, a close ends the innermost;
      * a block never closed: if a close tag follows its start, it ends at the last one (the
        extra opens were stray); otherwise the rest of the text is reasoning;
      * a close tag outside any block is dropped and the text around it stays in the answer.
    """
    text = (text or "").replace("\r\n", "\n")
    tags = list(_TAG.finditer(text))
    if not tags:
        return Parsed("", [], text.strip(), False, "no <think> block")

    inside: list[str] = []
    outside: list[str] = []
    problems: list[str] = []
    pos = content_start = 0  # pos: start of unread outside text
    depth = blocks = 0
    if tags[0].group(1):  # close first: an implicit open at the start of the text
        problems.append("missing <think>")
        depth = blocks = 1
    for m in tags:
        if not m.group(1):  # open
            if depth == 0:
                outside.append(text[pos : m.start()])
                content_start = m.end()
                blocks += 1
            else:
                problems.append("nested <think> tags")
            depth += 1
        elif depth == 0:
            problems.append("stray </think>")
            outside.append(text[pos : m.start()])
            pos = m.end()
        else:
            depth -= 1
            if depth == 0:
                inside.append(text[content_start : m.start()])
                pos = m.end()
    if depth:
        closes = [m for m in tags if m.group(1) and m.start() >= content_start]
        if closes:
            problems.append("unbalanced <think> tags")
            inside.append(text[content_start : closes[-1].start()])
            outside.append(text[closes[-1].end() :])
        else:
            problems.append("missing </think>")
            inside.append(text[content_start:])
    else:
        outside.append(text[pos:])

    if not tags[0].group(1) and outside[0].strip():
        problems.append("text before <think>")
    if blocks > 1:
        problems.append("repeated <think> blocks")
    if any(m.group(0) not in (OPEN, CLOSE) for m in tags):
        problems.append("non-canonical tag spelling")
    reasoning = _join([_TAG.sub("", p) for p in inside])
    answer = _join(outside)
    if not problems and not answer:
        problems.append("empty answer")
    problem = "; ".join(dict.fromkeys(problems)) or None
    return Parsed(reasoning, split_steps(reasoning), answer, problem is None, problem)
