"""Training data: RIT-D for SFT and preference pairs for DPO, checked and normalised.

**SFT.** RIT-D records are TRL's conversational format ``{"messages": [user, assistant]}``. Each
becomes a *conversational prompt-completion* example (prompt = every message but the last,
completion = the final assistant message). TRL then renders both with the model's own chat
template and puts label -100 on every prompt token (``completion_only_loss``), which works for any
template, including SmolLM2's, which has no ``{% generation %}`` markers; the tokenizer and its
template are never modified, so the saved model keeps the original template.

**DPO.** Pairs come in two shapes (docs/training.md): OP-COT / direct pairs may be
conversational (prompt = [user], chosen/rejected = [assistant]); PP-COT pairs store ``prompt`` as
already-templated text that ends inside the assistant turn (template + first k reasoning steps)
and chosen/rejected as plain continuations. Both are normalised to *text* here:

* a conversational pair is rendered once with the chat template; the completion is the rendered
  conversation minus the rendered prompt (checked to be a prefix), so templated and hand-rendered
  pairs look alike;
* a text prompt is used as is and never templated again (a text prompt with no chat markup at all
  is refused, since it would train on a context the model never sees at inference);
* prompt and completions are tokenized *separately*, without special tokens. Tokenizing
  ``prompt + chosen`` jointly lets byte-level BPE merge across the seam (SmolLM2 turns a prefix's
  final ``"\\n\\n"`` into one token alone but two before a word), which shifts the completion start;
  separate tokenization puts the first chosen/rejected token exactly where the shared prefix ends,
  as a generation engine sees it when it continues the prefix.

The DPO dataset is returned pre-tokenized (``prompt_ids``, ``chosen_ids``, ``rejected_ids``) and
the trainer in :mod:`saro.train.dpo` uses it without re-tokenizing.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from datasets import Dataset

from saro.errors import SaroError
from saro.reasoning import parse
from saro.store import read_jsonl, seeded_sample

RIT_FORMAT = '{"messages": [{"role": "user", ...}, {"role": "assistant", "content": ...}]}'
PAIR_FORMAT = '{"prompt": ..., "chosen": ..., "rejected": ..., "level": "outcome"|"process"}'
LEVELS = ("outcome", "process")


def strip_think(text: str) -> str:
    """The answer without its ``<think>`` block (the Safety-SFT baseline trains on these)."""
    return parse(text).answer


def _bad(path: Path, lineno: int, problem: str, fmt: str) -> SaroError:
    return SaroError(f"{path}:{lineno} {problem}.", f"Each line must be {fmt}.")


def _markup(tokenizer: Any) -> list[str]:
    """Special tokens that only a chat template writes (used to spot double templating)."""
    tokens = set(tokenizer.all_special_tokens) | set(
        getattr(tokenizer, "added_tokens_encoder", {}) or {}
    )
    tokens -= {tokenizer.eos_token, tokenizer.pad_token, tokenizer.unk_token, None}
    return sorted(t for t in tokens if t)


def _check_messages(path: Path, lineno: int, msgs: Any, *, last: str | None, fmt: str) -> None:
    if not isinstance(msgs, list) or not msgs:
        raise _bad(path, lineno, "has an empty or non-list message list", fmt)
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            raise _bad(path, lineno, f"message {i} lacks 'role' or 'content'", fmt)
        if not isinstance(m["content"], str):
            raise _bad(path, lineno, f"message {i} has non-text content", fmt)
    if last and msgs[-1]["role"] != last:
        raise _bad(path, lineno, f"ends with a {msgs[-1]['role']!r} message, not {last!r}", fmt)


def _no_markup(path: Path, lineno: int, msgs: list[dict], markup: list[str]) -> None:
    for m in msgs:
        hit = next((t for t in markup if t in m["content"]), None)
        if hit:
            raise SaroError(
                f"{path}:{lineno} has chat-template markup {hit!r} inside a {m['role']} message, "
                "so the template would be applied twice.",
                "Store the raw message text, or store the whole pair as rendered text.",
            )


def load_rit(
    path: str | Path,
    tokenizer: Any = None,
    *,
    strip_reasoning: bool = False,
    limit: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Read RIT-D into a conversational prompt-completion ``Dataset``.

    Args:
        path: RIT-D JSONL file.
        tokenizer: If given, messages are checked for chat-template markup (double templating).
        strip_reasoning: Drop the ``<think>`` block from the final answer (Safety-SFT).
        limit: Keep a seeded random sample of ``limit`` records (in file order), drawn from the
            whole file rather than its first rows (which a file written kind by kind fills with
            one kind).
        seed: Seed of that sample.
    """
    path = Path(path)
    markup = _markup(tokenizer) if tokenizer is not None else []
    rows: list[dict[str, Any]] = []
    for lineno, rec in enumerate(read_jsonl(path), 1):
        if "messages" not in rec:
            hint = (
                " (this looks like a preference file: use `saro train dpo`)"
                if "chosen" in rec
                else ""
            )
            raise _bad(path, lineno, f"lacks the field 'messages'{hint}", f"RIT-D: {RIT_FORMAT}")
        msgs = rec["messages"]
        _check_messages(path, lineno, msgs, last="assistant", fmt=f"RIT-D: {RIT_FORMAT}")
        _no_markup(path, lineno, msgs, markup)
        answer = dict(msgs[-1])
        if strip_reasoning:
            answer["content"] = strip_think(answer["content"])
        prompt = [{"role": m["role"], "content": m["content"]} for m in msgs[:-1]]
        completion = [{"role": "assistant", "content": answer["content"]}]
        rows.append({"prompt": prompt, "completion": completion})
    if not rows:
        raise SaroError(f"{path} holds no RIT-D records.", f"Each line must be {RIT_FORMAT}.")
    return Dataset.from_list(seeded_sample(rows, limit, seed))


def end_with_eos(text: str, eos: str) -> str:
    """Make a completion end with exactly one EOS and nothing after it (TRL adds one likewise)."""
    stripped = text.rstrip()
    return stripped if stripped.endswith(eos) else text + eos


def render_pair(rec: dict[str, Any], tokenizer: Any) -> tuple[str, str, str]:
    """Normalise one pair to ``(prompt_text, chosen_text, rejected_text)`` (see module doc)."""
    eos = tokenizer.eos_token
    prompt = rec["prompt"]
    if isinstance(prompt, list):
        prompt_text = tokenizer.apply_chat_template(
            prompt, tokenize=False, add_generation_prompt=True
        )
        sides = []
        for side in (rec["chosen"], rec["rejected"]):
            if isinstance(side, str):  # conversational prompt, bare-text answer
                side = [{"role": "assistant", "content": side}]
            full = tokenizer.apply_chat_template(prompt + side, tokenize=False)
            if not full.startswith(prompt_text):
                raise ValueError("the chat template renders the prompt differently alone")
            sides.append(end_with_eos(full[len(prompt_text) :], eos))
        return prompt_text, sides[0], sides[1]
    chosen, rejected = rec["chosen"], rec["rejected"]
    if not isinstance(chosen, str) or not isinstance(rejected, str):
        raise ValueError("a text prompt needs text 'chosen' and 'rejected'")
    return prompt, end_with_eos(chosen, eos), end_with_eos(rejected, eos)


def tokenize_pair(prompt: str, chosen: str, rejected: str, tokenizer: Any) -> dict[str, list[int]]:
    """Token ids of the three parts, each tokenized alone and without added special tokens."""

    def ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    return {"prompt_ids": ids(prompt), "chosen_ids": ids(chosen), "rejected_ids": ids(rejected)}


def load_pairs(
    paths: Iterable[str | Path],
    tokenizer: Any,
    *,
    max_length: int | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Read, check, normalise and tokenize preference pairs from one or more files.

    ``limit`` keeps a seeded random sample of that many pairs drawn from all files together
    (in file order), so a cap does not drop the later files (e.g. PP-COT after OP-COT).

    Returns dicts with ``prompt_ids``, ``chosen_ids``, ``rejected_ids``, ``level``, ``kind`` and
    ``length`` (prompt plus the longer completion, read by ``group_by_length`` sampling).
    Pairs whose prompt alone fills ``max_length`` are dropped (no completion token would be left).
    """
    markup = _markup(tokenizer)
    templated = bool(getattr(tokenizer, "chat_template", None))
    out: list[dict[str, Any]] = []
    for raw in paths:
        path = Path(raw)
        for lineno, rec in enumerate(read_jsonl(path), 1):
            missing = [k for k in ("prompt", "chosen", "rejected") if k not in rec]
            if missing:
                hint = " (this looks like RIT-D: use `saro train sft`)" if "messages" in rec else ""
                raise _bad(
                    path, lineno, f"lacks the field '{missing[0]}'{hint}", f"a pair: {PAIR_FORMAT}"
                )
            level = rec.get("level", "outcome")
            if level not in LEVELS:
                raise _bad(path, lineno, f"has level {level!r}", f"a pair: {PAIR_FORMAT}")
            prompt = rec["prompt"]
            if isinstance(prompt, list):
                _check_messages(path, lineno, prompt, last=None, fmt=f"a pair: {PAIR_FORMAT}")
                _no_markup(path, lineno, prompt, markup)
                for side in ("chosen", "rejected"):
                    if isinstance(rec[side], list):
                        _check_messages(
                            path, lineno, rec[side], last="assistant", fmt=f"a pair: {PAIR_FORMAT}"
                        )
            elif isinstance(prompt, str):
                if templated and markup and not any(t in prompt for t in markup):
                    raise SaroError(
                        f"{path}:{lineno} has a text prompt without chat-template markup.",
                        "Store a plain prompt as [{'role': 'user', 'content': ...}] so it gets "
                        "templated, or store the prompt already rendered with the chat template.",
                    )
            else:
                raise _bad(
                    path, lineno, "has a prompt that is neither text nor messages", PAIR_FORMAT
                )
            try:
                texts = render_pair(rec, tokenizer)
            except ValueError as err:
                raise _bad(
                    path, lineno, f"cannot be rendered: {err}", f"a pair: {PAIR_FORMAT}"
                ) from None
            row = tokenize_pair(*texts, tokenizer)
            if max_length is not None and len(row["prompt_ids"]) >= max_length:
                continue
            longest = max(len(row["chosen_ids"]), len(row["rejected_ids"]))
            row.update(level=level, kind=str(rec.get("kind", "")), family=pair_family(rec))
            row["length"] = len(row["prompt_ids"]) + longest  # for group_by_length batching
            out.append(row)
    if not out:
        raise SaroError(
            "No usable preference pairs were found.", "Check train_files and max_length."
        )
    return seeded_sample(out, limit, seed)


def split_by_level(rows: list[dict[str, Any]]) -> dict[str, Dataset]:
    """One eval ``Dataset`` per pair level present (metrics eval_outcome_*, eval_process_*)."""
    return {
        level: Dataset.from_list([r for r in rows if r["level"] == level])
        for level in LEVELS
        if any(r["level"] == level for r in rows)
    }


def pair_family(rec: dict[str, Any]) -> str:
    """The prompt a pair belongs to, attack wrapper removed (``advbench/12/jb-x`` ->
    ``advbench/12``); the user turn's text where a pair has no ``prompt_id``."""
    pid = rec.get("prompt_id")
    if pid:
        return str(pid).split("/jb-")[0]
    prompt = rec.get("prompt")
    text = prompt[0].get("content", "") if isinstance(prompt, list) and prompt else str(prompt)
    return "text:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def hold_out(
    rows: list[dict[str, Any]], fraction: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split off about ``fraction`` of each level for evaluation (at least one pair a level),
    whole prompt families at a time: every pair on a held-out prompt (its outcome and process
    pairs, every attack wrapping it) is held out, so held-out reward accuracy is measured on
    prompts DPO never trained on."""
    if fraction <= 0:
        return rows, []
    rng = random.Random(seed)
    families = sorted({r.get("family") or str(i) for i, r in enumerate(rows)})
    rng.shuffle(families)
    counts = Counter(r["level"] for r in rows)
    need = {lv: (max(1, round(n * fraction)) if n > 1 else 0) for lv, n in counts.items()}
    members: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        members.setdefault(r.get("family") or str(i), []).append(i)
    held_idx: set[int] = set()
    for fam in families:
        if all(v <= 0 for v in need.values()):
            break
        idx = members[fam]
        if any(need[rows[i]["level"]] > 0 for i in idx):
            held_idx.update(idx)
            for i in idx:
                need[rows[i]["level"]] -= 1
    train = [r for i, r in enumerate(rows) if i not in held_idx]
    held = [r for i, r in enumerate(rows) if i in held_idx]
    return train, held


def train_and_held(
    train_files: Iterable[str | Path],
    eval_files: Iterable[str | Path],
    tokenizer: Any,
    *,
    max_length: int | None,
    limit: int | None,
    eval_fraction: float,
    seed: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A DPO stage's training and held-out pairs, tokenized: ``eval_files`` when given, else
    :func:`hold_out` of the (capped) training pairs. The one split training uses, so a later
    measurement on the held-out pairs (scripts/analysis/heldout_rewards.py) sees the same ones."""
    rows = load_pairs(train_files, tokenizer, max_length=max_length, limit=limit, seed=seed)
    eval_files = list(eval_files)
    if eval_files:
        return rows, load_pairs(eval_files, tokenizer, max_length=max_length)
    return hold_out(rows, eval_fraction, seed)
