"""Prompt embeddings from a local causal LM: the mean-pooled last hidden state.

Usage::

    from saro.engines.hf_embed import HFEmbedder
    vectors = HFEmbedder("runs/demo/models/saro").embed(["How do I ...?", "Tell me ..."])

The analysis of prompt-kind overlap (paper Fig. 3) needs the representation a model builds of a
prompt *as it sees it in a chat*, so by default each text is rendered as a user turn with the
model's chat template (generation prompt included) before the forward pass. Pooling averages
the last hidden layer over the real (non-padding) tokens. transformers is imported inside, like
every engine, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from saro.errors import SaroError


class HFEmbedder:
    """Mean-pooled last-hidden-state embeddings of texts.

    Args:
        model: Registry name, local folder or hub id (see :func:`saro.models.resolve_model`).
        chat_template: Render each text as a user turn first (falls back to the raw text when
            the tokenizer has no template).
        batch_size: Texts per forward pass.
        max_length: Tokens kept per text (longer texts are cut at the end, keeping the
            opening of the prompt).
        device: ``cpu``, ``cuda``...
    """

    def __init__(
        self,
        model: str | Path,
        *,
        chat_template: bool = True,
        batch_size: int = 8,
        max_length: int = 512,
        device: str = "cpu",
    ):
        if batch_size < 1 or max_length < 1:
            raise SaroError("batch_size and max_length must be positive.", "Pass values >= 1.")
        from saro.models import resolve_model

        self.model_name = str(model)
        self.folder = resolve_model(model)
        self.chat_template = chat_template
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self._model = None
        self._tokenizer = None

    def _load(self):
        if self._model is None:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            tok = AutoTokenizer.from_pretrained(self.folder)
            if tok.pad_token_id is None:
                tok.pad_token = tok.eos_token
            tok.padding_side = "right"
            model = AutoModelForCausalLM.from_pretrained(self.folder, dtype=torch.float32)
            self._model, self._tokenizer = model.to(self.device).eval(), tok
        return self._model, self._tokenizer

    @property
    def templated(self) -> bool:
        """True when texts are rendered as chat turns (a template exists and is wanted)."""
        _, tok = self._load()
        return bool(self.chat_template and getattr(tok, "chat_template", None))

    def render(self, text: str) -> str:
        _, tok = self._load()
        if self.templated:
            return tok.apply_chat_template(
                [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
            )
        return text

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a ``(len(texts), hidden_size)`` float32 array, rows in the order of ``texts``."""
        import torch

        model, tok = self._load()
        # The backbone alone: the LM head's vocabulary projection is most of a small model's
        # forward cost (SmolLM2: 49k x 576 per token) and the pooling does not need it.
        backbone = getattr(model, model.base_model_prefix, model)
        rendered = [self.render(t) for t in texts]
        # Batches of similar length waste little compute on padding.
        order = sorted(range(len(rendered)), key=lambda i: len(rendered[i]))
        out = np.zeros((len(rendered), model.config.hidden_size), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = tok(
                    [rendered[i] for i in idx],
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    # the template already holds the special tokens
                    add_special_tokens=not self.templated,
                ).to(self.device)
                hidden = backbone(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                out[idx] = pooled.float().cpu().numpy()
        return out
