"""The exported chat template: the model's own template, with earlier turns' reasoning dropped.

A reasoning model's earlier ``<think>...</think>`` blocks are not fed back (``saro chat`` keeps
only the final answers in the conversation); a user who passes whole responses back to the
exported model through ``apply_chat_template`` gets the same text. The wrapper rebuilds
``messages`` before the original template runs, so it works for any base template.
"""

from __future__ import annotations

# Every assistant message but the last loses everything up to its closing reasoning tag.
DROP_EARLIER_REASONING = (
    "{%- set ns = namespace(msgs=[]) -%}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'assistant' and not loop.last and '</think>' in m['content'] -%}"
    "{%- set ns.msgs = ns.msgs + [{'role': m['role'], "
    "'content': m['content'].split('</think>')[-1].lstrip()}] -%}"
    "{%- else -%}{%- set ns.msgs = ns.msgs + [m] -%}{%- endif -%}"
    "{%- endfor -%}"
    "{%- set messages = ns.msgs -%}"
)
MARK = "{#- saro: earlier turns' reasoning dropped -#}"


def reasoning_template(original: str) -> str:
    """``original`` wrapped so earlier assistant turns keep only their answers (idempotent)."""
    if original.startswith(MARK):
        return original
    return MARK + DROP_EARLIER_REASONING + original
