"""``saro export --format hf``: a self-contained transformers folder.

The weights (LoRA adapters merged into them), the tokenizer with the reasoning-aware chat
template (:mod:`.template`), the generation config, and a ``README.md`` model card
(:mod:`.card`). Loading the folder with plain ``transformers`` and decoding greedily gives what
``saro chat`` gives for the same conversation (tests/test_export.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.errors import SaroError
from saro.export.card import model_card
from saro.export.template import reasoning_template


def load_merged(model_dir: Path) -> tuple[Any, Any]:
    """The model (a LoRA adapter folder merged into its base) and its tokenizer, in fp32."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not model_dir.is_dir():
        raise SaroError(
            f"{model_dir} is not a model folder.",
            "Pass a trained model folder, e.g. runs/demo/models/saro.",
        )
    if (model_dir / "adapter_config.json").exists():
        from peft import AutoPeftModelForCausalLM

        model = AutoPeftModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        model = model.merge_and_unload()
    else:
        try:
            model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        except (OSError, ValueError) as err:
            raise SaroError(
                f"{model_dir} does not load as a causal language model ({err}).",
                "Pass a folder written by saro train or saro run (config.json and weights).",
            ) from None
    return model, AutoTokenizer.from_pretrained(model_dir)


def export_hf(
    model_dir: Path, out: Path, *, name: str, judge_metrics: dict[str, Any] | None = None
) -> Path:
    """Write the HF folder into ``out``; returns it."""
    model, tok = load_merged(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.chat_template = reasoning_template(tok.chat_template or "")
    tok.save_pretrained(out)
    (out / "README.md").write_text(
        model_card(model_dir, name=name, judge_metrics=judge_metrics), encoding="utf-8"
    )
    return out
