"""``saro export --format ollama``: the GGUF file plus a ``Modelfile``.

The Modelfile's ``TEMPLATE`` is Ollama's Go-template form of the model's ChatML chat template
(SmolLM2, Qwen2), its ``SYSTEM`` the default system prompt the HF template inserts when a
conversation has none, and its stop tokens the turn markers. Ollama's templates cannot cut
strings, so they cannot drop earlier turns' reasoning as the HF and GGUF templates do: an
Ollama client should send earlier answers back without their ``<think>`` block (``ollama run``
shows only what the model wrote).

No Ollama server runs here, so :func:`render` renders the subset of Go templates this module
writes (``range .Messages``, ``.Role``, ``.Content``, ``-`` trimming) and
:func:`check_template` compares its text with the HF template's for a conversation; the
export runs that check and the tests do too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from saro.errors import SaroError

TEMPLATE = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n"
    "{{ .Content }}<|im_end|>\n"
    "{{ end }}<|im_start|>assistant\n"
)
STOPS = ("<|im_end|>", "<|im_start|>")


def default_system(tokenizer: Any) -> str | None:
    """The system prompt the HF template inserts when a conversation has none (or None).

    Raises:
        SaroError: The template is not ChatML (the only form this Modelfile writes).
    """
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "PING"}], tokenize=False, add_generation_prompt=True
    )
    if not text.endswith("<|im_start|>user\nPING<|im_end|>\n<|im_start|>assistant\n"):
        raise SaroError(
            "The model's chat template is not ChatML, which is the only form the Ollama "
            "Modelfile is written for.",
            "Export --format gguf and write the Modelfile TEMPLATE by hand.",
        )
    head = text[: text.index("<|im_start|>user\n")]
    found = re.fullmatch(r"<\|im_start\|>system\n(.*)<\|im_end\|>\n", head, re.DOTALL)
    return found.group(1) if found else None


def modelfile(gguf_name: str, tokenizer: Any, *, temperature: float = 0.0) -> str:
    """The Modelfile text for ``gguf_name`` (a file beside it)."""
    system = default_system(tokenizer)
    lines = [f"FROM ./{gguf_name}", "", f'TEMPLATE """{TEMPLATE}"""', ""]
    if system:
        lines += [f'SYSTEM """{system}"""', ""]
    lines += [f'PARAMETER stop "{s}"' for s in STOPS]
    lines += [f"PARAMETER temperature {temperature}", "PARAMETER num_ctx 2048", ""]
    return "\n".join(lines)


def render(template: str, messages: list[dict[str, str]]) -> str:
    """Render the Go-template subset of :data:`TEMPLATE` for ``messages`` (Ollama's
    ``.Messages``, the system prompt first when there is one)."""
    m = re.fullmatch(r"\{\{-? range \.Messages \}\}(.*)\{\{-? end \}\}(.*)", template, re.DOTALL)
    if not m:
        raise ValueError("not a template this renderer understands")
    body, tail = m.groups()
    out = []
    for msg in messages:
        text = body.replace("{{ .Role }}", msg["role"])
        out.append(text.replace("{{ .Content }}", msg["content"]))
    return "".join(out) + tail


def check_template(tokenizer: Any, messages: list[dict[str, str]]) -> None:
    """Raise when the Modelfile's template and the HF template render ``messages`` apart.

    ``messages`` has no system turn: Ollama adds the Modelfile's ``SYSTEM`` as one, as the HF
    template adds its default.
    """
    system = default_system(tokenizer)
    ollama = render(TEMPLATE, ([{"role": "system", "content": system}] if system else []) +
                    messages)  # fmt: skip
    hf = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if ollama != hf:
        raise SaroError(
            "The Ollama template renders this conversation differently from the HF template.",
            "Export --format gguf and write the Modelfile TEMPLATE by hand.",
        )


def write_modelfile(out_dir: Path, gguf_name: str, tokenizer: Any) -> Path:
    """Check the template on a two-turn conversation, then write ``out_dir/Modelfile``."""
    check_template(
        tokenizer,
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
         {"role": "user", "content": "How are you?"}],
    )  # fmt: skip
    path = out_dir / "Modelfile"
    path.write_text(modelfile(gguf_name, tokenizer), encoding="utf-8")
    return path
