"""``saro export``: take a trained model out of saro.

Usage::

    saro export --model runs/demo/models/saro --out exports/saro-hf                  # HF folder
    saro export --model runs/demo/models/saro --out exports/saro-gguf --format gguf --quant q8_0
    saro export --model runs/demo/models/saro --out exports/saro-ollama --format ollama
    ollama create saro-demo -f exports/saro-ollama/Modelfile && ollama run saro-demo

Every format writes a ``README.md`` model card beside the weights (docs: README, "Export").
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from saro.errors import SaroError, unknown_name

FORMATS = ("hf", "gguf", "ollama")
console = Console(stderr=True)


def _judge_metrics(model: Path) -> dict | None:
    from saro.export.card import find_run

    run, _ = find_run(model)
    if run is None:
        return None
    from saro.judges.refusal import heldout_metrics

    return heldout_metrics()


def _pre(model: Path) -> str:
    """llama.cpp's pre-tokenizer name for the run's base model (``default`` if unknown)."""
    from saro.export.card import base_spec, find_run

    _, spec = base_spec(find_run(model)[0])
    return spec.gguf_pre if spec else "default"


def export_command(
    model: Path = typer.Option(..., "--model", "-m", help="Trained model folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write."),
    fmt: str = typer.Option("hf", "--format", "-f", help="hf | gguf | ollama."),
    quant: str = typer.Option(
        "f16", "--quant", "-q", help="GGUF type: f32 f16 q8_0 q4_0 q4_1 q5_0 q5_1."
    ),  # fmt: skip
    name: str = typer.Option(None, "--name", help="Model name in the card and GGUF metadata."),
) -> None:
    """Export a model: an HF folder, a GGUF file, or a GGUF with an Ollama Modelfile; each
    with a model card (README.md) holding the run's scorecard."""
    from saro.export.card import model_card
    from saro.export.gguf import QUANTS, export_gguf
    from saro.export.hf import export_hf, load_merged
    from saro.export.template import reasoning_template

    if fmt not in FORMATS:
        raise unknown_name("export format", fmt, FORMATS)
    if fmt != "hf" and quant not in QUANTS:
        raise unknown_name("GGUF type", quant, QUANTS)
    if out.exists() and any(out.iterdir()):
        raise SaroError(f"{out} exists and is not empty.", "Choose a new --out folder.")
    name = name or f"saro-{model.resolve().name}"
    with console.status("Measuring the refusal judge on its gold set for the card..."):
        judge = _judge_metrics(model)
    if fmt == "hf":
        export_hf(model, out, name=name, judge_metrics=judge)
        files = sorted(p for p in out.iterdir() if p.is_file())
    else:
        model_obj, tok = load_merged(model)
        tok.chat_template = reasoning_template(tok.chat_template or "")
        out.mkdir(parents=True, exist_ok=True)
        gguf_name = f"{name}.{quant}.gguf"
        with console.status(f"Writing {gguf_name}..."):
            result = export_gguf(
                model_obj, tok, model, out / gguf_name, quant=quant, name=name, pre=_pre(model)
            )
        if result["fallback_f16"]:
            console.print(
                f"{result['fallback_f16']} tensors whose rows do not divide into {quant} blocks "
                "were written as f16.",
                highlight=False,
            )
        files = [out / gguf_name]
        if fmt == "ollama":
            from saro.export.ollama import write_modelfile

            files.append(write_modelfile(out, gguf_name, tok))
        card = out / "README.md"
        card.write_text(model_card(model, name=name, judge_metrics=judge), encoding="utf-8")
        files.append(card)
    for f in files:
        size = f.stat().st_size
        shown = f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} kB"
        console.print(f"{f}  {shown}", highlight=False)
    if fmt == "ollama":
        console.print(
            f"ollama create {name} -f {out / 'Modelfile'} && ollama run {name}", highlight=False
        )
