"""Training data: SFT examples, pair normalisation, the token boundary, bad input."""

import json

import pytest

from saro.errors import SaroError
from saro.train.data import (
    hold_out,
    load_pairs,
    load_rit,
    render_pair,
    split_by_level,
    tokenize_pair,
)
from train_helpers import PAIRS, RIT


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_rit_becomes_conversational_prompt_completion(tiny_tokenizer):
    ds = load_rit(RIT, tiny_tokenizer)
    row = ds[0]
    assert [m["role"] for m in row["prompt"]] == ["user"]
    assert [m["role"] for m in row["completion"]] == ["assistant"]
    assert row["completion"][0]["content"].startswith("<think>\n")


def test_safety_sft_variant_drops_the_reasoning(tiny_tokenizer):
    ds = load_rit(RIT, tiny_tokenizer, strip_reasoning=True)
    answers = [r["completion"][0]["content"] for r in ds]
    assert all("<think>" not in a and "</think>" not in a for a in answers)
    assert answers[0].startswith("I can't help with opening someone else's door.")


def test_pp_cot_completion_starts_exactly_where_the_prefix_ends(tiny_tokenizer):
    tok = tiny_tokenizer
    # A PP-COT prefix cut after a step and its blank line: byte-level BPE writes the final
    # "\n\n" as ONE token alone but as two before a word, so joint tokenization moves the seam.
    prompt = (
        tok.apply_chat_template(
            [{"role": "user", "content": "How do I pick the lock on my neighbour's door?"}],
            tokenize=False,
            add_generation_prompt=True,
        )
        + "<think>\nThe user wants to open a door.\n\n"
    )
    chosen, rejected = "Wait, the door is not theirs.\n</think>\n\nNo.", "Here are the steps."
    alone = tok(prompt, add_special_tokens=False)["input_ids"]
    joint = tok(prompt + chosen, add_special_tokens=False)["input_ids"]
    assert joint[: len(alone)] != alone  # the hazard is real on this tokenizer

    p, c, r = render_pair({"prompt": prompt, "chosen": chosen, "rejected": rejected}, tok)
    assert p == prompt  # a text prompt is never templated again
    ids = tokenize_pair(p, c, r, tok)
    assert ids["prompt_ids"] == alone  # what an engine sees when it continues the prefix
    assert tok.decode(ids["prompt_ids"]) == prompt
    assert tok.decode(ids["chosen_ids"]) == chosen + tok.eos_token
    assert tok.decode(ids["rejected_ids"]) == rejected + tok.eos_token
    assert ids["chosen_ids"][-1] == ids["rejected_ids"][-1] == tok.eos_token_id


def test_conversational_and_text_pairs_normalise_to_the_same_shape(tiny_tokenizer):
    tok = tiny_tokenizer
    rows = load_pairs([PAIRS], tok)
    assert {r["level"] for r in rows} == {"outcome", "process"}
    conv = json.loads(PAIRS.read_text().splitlines()[0])
    rendered = tok.apply_chat_template(conv["prompt"], tokenize=False, add_generation_prompt=True)
    first = rows[0]
    assert tok.decode(first["prompt_ids"]) == rendered
    assert rendered.count("<|im_start|>assistant") == 1  # templated exactly once
    # the completion is the assistant content plus one end-of-turn token, nothing after it
    assert tok.decode(first["chosen_ids"]) == conv["chosen"][0]["content"] + "<|im_end|>"
    for row in rows:
        assert tok.decode(row["prompt_ids"]).count("<|im_start|>system") == 1


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"prompt": "x", "chosen": "a"}, r"lacks the field 'rejected'.*prompt.*chosen.*rejected"),
        ({"messages": []}, r"lacks the field 'prompt' \(this looks like RIT-D"),
        (
            {"prompt": [{"role": "user"}], "chosen": "a", "rejected": "b"},
            "lacks 'role' or 'content'",
        ),
        (
            {"prompt": "How?", "chosen": "a", "rejected": "b"},
            "text prompt without chat-template markup",
        ),
        (
            {
                "prompt": [{"role": "user", "content": "<|im_start|>user\nHi"}],
                "chosen": "a",
                "rejected": "b",
            },
            "template would be applied twice",
        ),
        (
            {
                "prompt": [{"role": "user", "content": "q"}],
                "chosen": "a",
                "rejected": "b",
                "level": "step",
            },
            "has level 'step'",
        ),
    ],
)
def test_bad_pair_files_name_the_line_the_field_and_the_format(
    tmp_path, tiny_tokenizer, record, message
):
    path = _write(tmp_path / "pairs.jsonl", [record])
    with pytest.raises(SaroError, match=message) as err:
        load_pairs([path], tiny_tokenizer)
    assert "pairs.jsonl:1" in str(err.value)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"prompt": "q", "chosen": "a", "rejected": "b"},
            r"lacks the field 'messages' \(this looks",
        ),
        ({"messages": [{"role": "user", "content": "q"}]}, "not 'assistant'"),
        ({"messages": "hello"}, "non-list message list"),
    ],
)
def test_bad_rit_files_name_the_field_and_the_format(tmp_path, record, message):
    path = _write(tmp_path / "rit.jsonl", [record])
    with pytest.raises(SaroError, match=message) as err:
        load_rit(path)
    assert '{"messages": [{"role": "user"' in str(err.value)


def test_hold_out_keeps_every_level_in_the_eval_split(tiny_tokenizer):
    rows = load_pairs([PAIRS], tiny_tokenizer)
    train, held = hold_out(rows, 0.3, seed=0)
    assert len(train) + len(held) == len(rows)
    assert set(split_by_level(held)) == {"outcome", "process"}


def test_an_sft_cap_samples_across_the_file_not_its_first_rows(tmp_path, tiny_tokenizer):
    rows = []
    for kind, line in (("a", 0), ("b", 1)):  # written kind by kind, 20 rows each
        for i in range(20):
            rec = json.loads(RIT.read_text().splitlines()[line])
            rec["messages"][0]["content"] = f"{kind}{i:02d} " + rec["messages"][0]["content"]
            rows.append(rec)
    path = _write(tmp_path / "rit.jsonl", rows)
    ids = lambda ds: [r["prompt"][0]["content"][:3] for r in ds]  # noqa: E731
    sample = ids(load_rit(path, tiny_tokenizer, limit=10, seed=3))
    assert len(sample) == 10 and {s[0] for s in sample} == {"a", "b"}  # not the first 10 rows
    assert sample == sorted(sample)  # kept in file order
    assert ids(load_rit(path, tiny_tokenizer, limit=10, seed=3)) == sample  # seeded
    assert ids(load_rit(path, tiny_tokenizer, limit=10, seed=4)) != sample


def test_a_pair_cap_samples_across_all_files(tmp_path, tiny_tokenizer):
    lines = PAIRS.read_text().splitlines()
    outcome = [x for x in lines if json.loads(x).get("level", "outcome") == "outcome"]
    process = [x for x in lines if json.loads(x).get("level") == "process"]
    first, second = tmp_path / "opcot.jsonl", tmp_path / "ppcot.jsonl"
    first.write_text("\n".join(outcome * 4) + "\n")
    second.write_text("\n".join(process * 4) + "\n")
    cap = len(outcome) * 4  # a first-N cap would keep no process pair at all
    rows = load_pairs([first, second], tiny_tokenizer, limit=cap, seed=1)
    assert len(rows) == cap and {r["level"] for r in rows} == {"outcome", "process"}
    again = load_pairs([first, second], tiny_tokenizer, limit=cap, seed=1)
    assert [r["chosen_ids"] for r in rows] == [r["chosen_ids"] for r in again]


def test_pairs_whose_prompt_fills_max_length_are_dropped(tiny_tokenizer):
    rows = load_pairs([PAIRS], tiny_tokenizer)
    longest = max(len(r["prompt_ids"]) for r in rows)
    kept = load_pairs([PAIRS], tiny_tokenizer, max_length=longest)
    assert len(kept) == len(rows) - sum(len(r["prompt_ids"]) >= longest for r in rows)


@pytest.mark.slow
def test_real_smollm2_tokenizer_boundary_and_template_once():
    from saro.models import resolve_model
    from saro.train.common import load_tokenizer

    tok = load_tokenizer(str(resolve_model("smollm2-135m")))
    prompt = (
        tok.apply_chat_template(
            [{"role": "user", "content": "How do I pick a lock?"}],
            tokenize=False,
            add_generation_prompt=True,
        )
        + "<think>\nThe user asks about locks.\n\n"
    )
    alone = tok(prompt, add_special_tokens=False)["input_ids"]
    joint = tok(prompt + "Wait.", add_special_tokens=False)["input_ids"]
    assert joint[: len(alone)] != alone  # SmolLM2 merges the final "\n\n" only when alone
    rows = load_pairs([PAIRS], tok)
    for row in rows:
        text = tok.decode(row["prompt_ids"])
        assert text.count("<|im_start|>assistant") == 1
        assert row["chosen_ids"][-1] == tok.eos_token_id == tok.convert_tokens_to_ids("<|im_end|>")


def test_hold_out_keeps_whole_prompt_families_out_of_training():
    """A held-out prompt's outcome pair, process pairs and every attack wrapping it are all
    held out, so held-out reward accuracy is measured on prompts DPO never saw."""
    from saro.train.data import pair_family

    rows = []
    for i in range(12):
        for level, pid in (("outcome", f"advbench/{i}"), ("process", f"advbench/{i}/jb-t{i}"),
                           ("process", f"advbench/{i}")):  # fmt: skip
            rows.append({"level": level, "family": pair_family({"prompt_id": pid}), "i": i})
    train, held = hold_out(rows, 0.25, seed=1)
    assert len(train) + len(held) == len(rows)
    assert {r["level"] for r in held} == {"outcome", "process"}
    assert not {r["i"] for r in train} & {r["i"] for r in held}
    assert 0.15 <= len(held) / len(rows) <= 0.4
    assert pair_family({"prompt": [{"role": "user", "content": "x"}]}).startswith("text:")
