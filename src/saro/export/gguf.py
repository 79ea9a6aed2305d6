"""``saro export --format gguf``: a GGUF file for llama.cpp, Ollama and LM Studio.

Written with the ``gguf`` package's own writer and quantiser (the library llama.cpp's converter
is built on), for Llama-architecture models such as SmolLM2, whose metadata keys follow the GGUF
that ships the default model (``llama.*``, a ``gpt2`` BPE tokenizer with the ``smollm``
pre-tokenizer, the chat template). The one transformation llama.cpp's converter makes for this
architecture is repeated here: the query and key projections are permuted from the Hugging Face
rotary layout (halves) to GGML's (interleaved pairs). transformers undoes it when it loads a
GGUF, which is how the tests check the file (tests/test_export.py).

Types: ``f32``, ``f16`` and the gguf package's quantisers ``q8_0``, ``q4_0``, ``q4_1``,
``q5_0``, ``q5_1``. Norms and other 1-D tensors stay f32, as llama.cpp keeps them; a matrix
whose rows do not divide into the type's 32-value blocks falls back to f16 (counted in the
result). K-quants (``q4_k``...) need llama.cpp's own quantiser (``llama-quantize``) on the f16
file: SmolLM2's 576-wide rows are not a multiple of the 256-value K-blocks either.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from saro.errors import SaroError

QUANTS = ("f32", "f16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1")


def permute_rotary(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF rotary layout (first half, second half per head) to GGML's (interleaved pairs)."""
    return (
        w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
        .swapaxes(1, 2)
        .reshape(w.shape)
    )


def rope_theta(cfg: Any) -> float:
    """The rotary base: ``rope_parameters`` (transformers 5), else ``rope_theta``, else 10000."""
    params = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    value = params.get("rope_theta") if isinstance(params, dict) else None
    return float(value or getattr(cfg, "rope_theta", None) or 10000.0)


def _qtype(quant: str) -> Any:
    from gguf import GGMLQuantizationType as T

    return {"f32": T.F32, "f16": T.F16, "q8_0": T.Q8_0, "q4_0": T.Q4_0, "q4_1": T.Q4_1,
            "q5_0": T.Q5_0, "q5_1": T.Q5_1}[quant]  # fmt: skip


def _file_type(quant: str) -> Any:
    from gguf import LlamaFileType as F

    return {"f32": F.ALL_F32, "f16": F.MOSTLY_F16, "q8_0": F.MOSTLY_Q8_0, "q4_0": F.MOSTLY_Q4_0,
            "q4_1": F.MOSTLY_Q4_1, "q5_0": F.MOSTLY_Q5_0, "q5_1": F.MOSTLY_Q5_1}[quant]  # fmt: skip


def _tokenizer(writer: Any, tok_dir: Path, tokenizer: Any, pre: str) -> None:
    """BPE vocabulary, merges, special ids and chat template, as llama.cpp's converter writes
    them for a gpt2-style tokenizer."""
    data = json.loads((tok_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = data.get("model") or {}
    if model.get("type") != "BPE":
        raise SaroError(
            f"The tokenizer in {tok_dir} is {model.get('type')!r}, not byte-level BPE.",
            "GGUF export supports gpt2-style BPE tokenizers (SmolLM2, LLaMA-3, Qwen2).",
        )
    vocab: dict[str, int] = dict(model["vocab"])
    for added in data.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
    size = max(vocab.values()) + 1
    tokens = [f"[PAD{i}]" for i in range(size)]
    types = [5] * size  # UNUSED until filled
    special = {a["content"] for a in data.get("added_tokens", []) if a.get("special")}
    for text, i in vocab.items():
        tokens[i] = text
        types[i] = 3 if text in special else 1  # CONTROL or NORMAL
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    for key, setter in (("bos_token_id", writer.add_bos_token_id),
                        ("eos_token_id", writer.add_eos_token_id),
                        ("unk_token_id", writer.add_unk_token_id),
                        ("pad_token_id", writer.add_pad_token_id)):  # fmt: skip
        value = getattr(tokenizer, key, None)
        if value is not None:
            setter(int(value))
    writer.add_add_bos_token(False)
    writer.add_add_space_prefix(False)
    if tokenizer.chat_template:
        writer.add_chat_template(tokenizer.chat_template)


def export_gguf(
    model: Any, tokenizer: Any, tok_dir: Path, out: Path, *, quant: str, name: str,
    pre: str = "default",
) -> dict[str, Any]:  # fmt: skip
    """Write ``model`` (a loaded Llama-architecture causal LM) as one GGUF file.

    ``pre`` is llama.cpp's pre-tokenizer name (``smollm`` for SmolLM2; ``default`` otherwise,
    which llama.cpp accepts with a warning).

    Returns ``{"path", "bytes", "types": {type: tensors}, "fallback_f16": n}``.
    """
    import gguf

    if quant not in QUANTS:
        from saro.errors import unknown_name

        raise unknown_name("GGUF type", quant, QUANTS)
    cfg = model.config
    if cfg.model_type != "llama":
        raise SaroError(
            f"GGUF export supports Llama-architecture models; this one is {cfg.model_type!r}.",
            "Convert it with llama.cpp's convert_hf_to_gguf.py from the exported HF folder.",
        )
    n_head, n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_name(name)
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_freq_base(rope_theta(cfg))
    writer.add_layer_norm_rms_eps(float(cfg.rms_norm_eps))
    writer.add_vocab_size(cfg.vocab_size)
    writer.add_rope_dimension_count(cfg.hidden_size // n_head)
    writer.add_file_type(_file_type(quant))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    _tokenizer(writer, tok_dir, tokenizer, pre)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, cfg.num_hidden_layers)
    state = model.state_dict()
    tied = bool(getattr(cfg, "tie_word_embeddings", False))
    types: Counter = Counter()
    fallback = 0
    qtype = _qtype(quant)
    for hf_name, tensor in state.items():
        if hf_name.endswith("rotary_emb.inv_freq") or (tied and hf_name == "lm_head.weight"):
            continue
        new = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise SaroError(f"No GGUF name for tensor {hf_name!r}.", "Export to hf instead.")
        data = tensor.detach().float().cpu().numpy()
        if hf_name.endswith("q_proj.weight"):
            data = permute_rotary(data, n_head)
        elif hf_name.endswith("k_proj.weight"):
            data = permute_rotary(data, n_kv)
        target = qtype if data.ndim > 1 else gguf.GGMLQuantizationType.F32
        block = gguf.GGML_QUANT_SIZES[target][0]
        if data.shape[-1] % block:
            target, fallback = gguf.GGMLQuantizationType.F16, fallback + 1
        if target == gguf.GGMLQuantizationType.F32:
            out_data = data.astype(np.float32)
        elif target == gguf.GGMLQuantizationType.F16:
            out_data = data.astype(np.float16)
        else:
            out_data = gguf.quants.quantize(data.astype(np.float32), target)
        writer.add_tensor(new, out_data, raw_dtype=target)
        types[target.name] += 1
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    except OSError as err:
        out.unlink(missing_ok=True)
        raise SaroError(f"Writing {out} failed: {err}.", "Free disk space and rerun.") from None
    finally:
        writer.close()
    return {"path": str(out), "bytes": out.stat().st_size, "types": dict(types),
            "fallback_f16": fallback}  # fmt: skip
