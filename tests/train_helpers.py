"""Offline stand-ins for the training tests: a tiny ChatML tokenizer and a tiny Llama.

The tokenizer is built like SmolLM2's (byte-level BPE, no normalizer, ``<|im_start|>`` /
``<|im_end|>`` specials, EOS = pad = ``<|im_end|>``, SmolLM2's chat template), trained in
milliseconds on the fixture texts, so it shows the same token-boundary behaviour: a final
``"\\n\\n"`` is one token alone but two before a word. The ``tiny_tokenizer`` and
``tiny_model_dir`` fixtures built from these live in tests/conftest.py.
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
RIT = FIXTURES / "rit_tiny.jsonl"
PAIRS = FIXTURES / "pairs_tiny.jsonl"

# SmolLM2-135M-Instruct's chat template, as shipped with the model (no generation markers).
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _corpus() -> list[str]:
    texts = []
    for path in (RIT, PAIRS):
        for line in path.read_text().splitlines():
            texts.append(json.dumps(json.loads(line), ensure_ascii=False))
            texts.append(line.replace("\\n", "\n"))
    return texts * 3 + ["step one.\n\nstep two.\n\n"] * 20


def build_tokenizer():
    """A SmolLM2-like ChatML tokenizer (vocab ~600) built offline."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
    )
    fast.chat_template = SMOLLM2_TEMPLATE
    return fast


def build_model_dir(path: Path, tokenizer, *, hidden: int = 32) -> Path:
    """Save a tiny random LlamaForCausalLM (2 layers) with ``tokenizer`` into ``path``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def sft_values(model_dir: Path, out: Path, **extra) -> dict:
    """A fast SFT config for the tiny model (a few steps, no checkpoints unless asked)."""
    values = {
        "model_name_or_path": str(model_dir),
        "train_file": str(RIT),
        "output_dir": str(out),
        "max_steps": 3,
        "per_device_train_batch_size": 2,
        "learning_rate": 1e-2,
        "save_strategy": "no",
        "max_length": 256,
        "disable_tqdm": True,
        "seed": 0,
    }
    values.update(extra)
    return values


def dpo_values(model_dir: Path, out: Path, **extra) -> dict:
    values = {
        "model_name_or_path": str(model_dir),
        "train_files": [str(PAIRS)],
        "output_dir": str(out),
        "max_steps": 3,
        "per_device_train_batch_size": 2,
        "learning_rate": 1e-2,
        "save_strategy": "no",
        "max_length": 256,
        "disable_tqdm": True,
        "seed": 0,
    }
    values.update(extra)
    return values


def read_metrics(out: Path) -> list[dict]:
    path = out / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
