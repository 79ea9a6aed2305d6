"""``saro judge NAME --input FILE.jsonl --out FILE.jsonl``: add one judge's verdicts to records.

Example::

    saro judge refusal --input runs/demo/samples/harmful.jsonl --out judged.jsonl
    saro judge llm:openai:gpt-4o-mini@http://127.0.0.1:8000/v1 -i judged.jsonl -o judged.jsonl

Records need ``prompt`` and ``response`` (``reference`` for math and choice). Verdicts of
other judges already in the records are kept. Records are judged in batches and appended as
each batch finishes, so if a judge endpoint gives up, the records judged so far stay in the
output and rerunning the same command continues after them. Only counts are printed, never a
response.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import typer

from saro.errors import SaroError
from saro.judges import Judge, make_judge
from saro.store import JsonlAppender, read_jsonl, write_jsonl


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("prompt") == b.get("prompt") and a.get("response") == b.get("response")


def judge_file(judge: Judge, input_path: Path, out_path: Path, *, batch_size: int = 64) -> dict:
    """Judge every record of ``input_path`` into ``out_path``; returns the summary counts.

    Writing in place (``out_path == input_path``) goes through ``OUT.partial``, renamed at the
    end. Records already judged by this judge at the start of the output file are kept.

    Raises:
        SaroError: Bad input (missing, malformed or holding no records), or the judge's
            engine failed (records judged so far are kept).
    """
    records = list(read_jsonl(input_path, required=["prompt", "response"]))
    if not records:
        raise SaroError(
            f"{input_path} holds no records to judge.",
            "Pass a JSONL file with one record per line, each with prompt and response "
            "(e.g. a samples file that `saro eval` or `saro generate` wrote).",
        )
    for i, rec in enumerate(records):
        judge.check(i, rec)
    in_place = out_path.resolve() == input_path.resolve()
    target = out_path.with_name(out_path.name + ".partial") if in_place else out_path
    done: list[dict[str, Any]] = []
    if target.exists():
        for old, new in zip(read_jsonl(target), records, strict=False):
            if not (_same(old, new) and judge.name in (old.get("judges") or {})):
                break
            done.append(old)
        write_jsonl(target, done)  # drop anything after the matching prefix
    with JsonlAppender(target) as sink:
        for start in range(len(done), len(records), max(1, batch_size)):
            batch = records[start : start + batch_size]
            try:
                judged = judge.judge(batch)
            except SaroError as err:
                keep = f"{len(done)} of {len(records)} judged records were kept in {target}"
                raise SaroError(
                    err.problem, f"{err.fix or ''} {keep}; rerun to continue.".strip()
                ) from None
            for rec in judged:
                sink.write(rec)
            done.extend(judged)
    if in_place:
        os.replace(target, out_path)
    return summarize(done, judge.name)


def _verdict_key(verdict: dict[str, Any]) -> str:
    if verdict.get("score") is None:
        return "undetermined"
    if "label" in verdict:
        return verdict["label"]
    if "correct" in verdict:
        return "correct" if verdict["correct"] else "incorrect"
    if "unsafe" in verdict:
        return "unsafe" if verdict["unsafe"] else "safe"
    return "judged"


def summarize(records: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Counts per verdict for the answer and the reasoning (no text)."""
    counts: dict[str, Counter] = {"answer": Counter(), "reasoning": Counter()}
    for rec in records:
        entry = rec["judges"][name]
        for part in counts:
            if entry.get(part) is not None:
                counts[part][_verdict_key(entry[part])] += 1
    return {"n": len(records), **{p: dict(c) for p, c in counts.items()}}


def judge(
    name: str = typer.Argument(
        None, help="Judge spec: refusal, math, choice, llm:ENGINE:MODEL[@URL], llamaguard[:MODEL]."
    ),
    input: Path = typer.Option(None, "--input", "-i", help="JSONL with prompt and response."),
    out: Path = typer.Option(None, "--out", "-o", help="Where to write the judged records."),
    batch_size: int = typer.Option(64, "--batch-size", help="Records per judge call."),
    compare: Path = typer.Option(
        None, "--compare", help="An eval dir: re-score its safety samples with every judge."
    ),
    judges: list[str] = typer.Option(
        None, "--judge", "-j", help="With --compare: a judge spec (repeat; NAME counts too)."
    ),
) -> None:
    """Add a judge's verdicts to records (existing verdicts of other judges are kept).

    With --compare EVAL_DIR, score that eval's safety samples with every judge given (NAME and
    each -j) and print each headline number per judge, its spread and the judges' agreement.
    """
    if compare is not None:
        from saro.evaluate.judgecompare import compare_judges, compare_lines

        specs = [s for s in [name, *(judges or [])] if s]
        result = compare_judges(compare, specs, out)
        for line in compare_lines(result):
            typer.echo(line)
        typer.echo(f"-> {Path(out) if out else Path(compare) / 'judge-compare'}/compare.json")
        return
    if not name or input is None or out is None:
        raise SaroError(
            "saro judge needs a judge NAME, --input and --out (or --compare EVAL_DIR).",
            "Example: saro judge refusal -i samples.jsonl -o judged.jsonl",
        )
    j = make_judge(name)
    summary = judge_file(j, input, out, batch_size=batch_size)
    typer.echo(f"{j.name}: judged {summary['n']} records -> {out}")
    for part in ("answer", "reasoning"):
        counts = summary[part]
        if counts:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            typer.echo(f"  {part:<9} {shown}")
