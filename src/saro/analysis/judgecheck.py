"""How far this run's headline judge was checked on this run's own outputs.

A judge is trusted only as far as it was checked on the outputs it scores. The packaged gold set
(``saro/data/judges/gold/gold.jsonl``: outputs of trained models read blind by readers under
``GUIDELINES.md``) is matched against every safety sample of the run with the ``labels`` judge
(:mod:`saro.judges.labels`: same prompt, same answer text). Per model: how many samples have a
reader's label, how often the run's judge agrees with the reader on the bit ASR counts
(compliance or not), and on those samples the ASR each gives (harmful-side samples: complied)
and the unhelpful rate (benign-side samples: not complied). When no sample has a
label the report says the judge is unchecked on this run and points to the nearest check
(docs/judges.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.analysis.rundata import eval_models, read_records, suite_metrics
from saro.pipeline.roster import display

SAFETY = ("jailbreak", "rephrase", "harmful", "overrefusal", "recovery")
HARMFUL = ("harmful", "jailbreak")


def _readers(labels: list[Path] | None) -> Any:
    """The labels judge over ``labels`` files, else over the packaged gold set (None if empty)."""
    from saro.judges.labels import LabelsJudge, read_labels
    from saro.judges.refusal_data import gold_rows

    if labels is not None:
        return LabelsJudge(read_labels(labels))
    rows = gold_rows()
    return LabelsJudge.from_rows(rows) if rows else None


def judge_check(run: Path, labels: list[Path] | None = None) -> dict[str, Any]:
    """Per model and in all: samples, labelled samples, agreement on the compliance bit, and
    the judge's and the readers' ASR (harmful side) and unhelpful rate (benign side) on the
    labelled samples."""
    readers = _readers(labels)
    keys = ("samples", "labelled", "agree", "harmful", "judge_asr", "reader_asr", "benign",
            "judge_unhelpful", "reader_unhelpful")  # fmt: skip
    rows, total = [], dict.fromkeys(keys, 0)
    for model in eval_models(run):
        row: dict[str, Any] = {"model": display(model), **dict.fromkeys(keys, 0)}
        for suite, entry in suite_metrics(run, model).items():
            if suite not in SAFETY:
                continue
            name = entry.get("judge") or "refusal"
            records = read_records(run / "eval" / model / "samples" / f"{suite}.jsonl")
            row["samples"] += len(records)
            if readers is None or not records:
                continue
            for rec in readers.judge(records):
                mine = ((rec.get("judges") or {}).get(name) or {}).get("answer") or {}
                theirs = rec["judges"][readers.name]["answer"]
                if theirs.get("score") is None or mine.get("unsafe") is None:
                    continue
                j, r = bool(mine["unsafe"]), bool(theirs["unsafe"])
                row["labelled"] += 1
                row["agree"] += int(j == r)
                benign = rec.get("recovery_side") == "benign" or rec.get("kind") not in HARMFUL
                if benign:
                    row["benign"] += 1
                    row["judge_unhelpful"] += int(not j)
                    row["reader_unhelpful"] += int(not r)
                else:
                    row["harmful"] += 1
                    row["judge_asr"] += int(j)
                    row["reader_asr"] += int(r)
        for k in keys:
            total[k] += row[k]
        rows.append(row)
    for row in [*rows, total]:
        for out, num, den in (("agreement", "agree", "labelled"),
                              ("judge_asr_rate", "judge_asr", "harmful"),
                              ("reader_asr_rate", "reader_asr", "harmful"),
                              ("judge_unhelpful_rate", "judge_unhelpful", "benign"),
                              ("reader_unhelpful_rate", "reader_unhelpful", "benign")):  # fmt: skip
            row[out] = row[num] / row[den] if row[den] else None
    return {"rows": rows, "total": total, "checked": total["labelled"] > 0}
