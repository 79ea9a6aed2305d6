"""Secrets stay in the environment: read API keys from named variables, redact configs.

API keys are never accepted from config files or arguments; an engine is told the *name* of an
environment variable (``api_key_env``) and reads the value only when it sends a request. Anything
saved to a run directory goes through :func:`redact` first, which masks values whose key names
look secret (``api_key``, ``hf_token``, ``client_secret``, ``password`` ...) and string values
that look like a credential whatever their key (``sk-...``, ``hf_...``, ``Bearer ...``).

Example:
    >>> redact({"engine": {"model": "m", "api_key": "sk-abc", "max_new_tokens": 64}})
    {'engine': {'model': 'm', 'api_key': '***', 'max_new_tokens': 64}}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from saro.errors import SaroError

MASK = "***"

# Words that make a key name secret when they appear as a whole word of the name
# (split on ``_``, ``-``, ``.`` and camelCase), so ``hf_token`` is masked but ``max_tokens`` and
# ``tokenizer`` are not.
_SECRET_WORDS = frozenset(
    {"token", "secret", "secrets", "password", "passwd", "credential", "credentials", "apikey"}
)
# ``api_key``, ``api-key``, ``openai_api_key``, ``OpenAIApiKey``.
_API_KEY = re.compile(r"api[_\-.]?key", re.IGNORECASE)
# Options like ``api_key_env`` hold the *name* of a variable, which is not a secret; a value that
# is not a variable name (a key pasted there by mistake) is masked all the same.
_ENV_SUFFIX = re.compile(r"[_\-.]?env$", re.IGNORECASE)
# Tokenizer settings named ``*_token`` hold special tokens, not credentials.
_SPECIAL_TOKENS = frozenset(
    {"pad", "bos", "eos", "unk", "sep", "cls", "mask", "stop", "start", "end", "think"}
)
# Values that are credentials whatever their key is called.
_SECRET_VALUE = re.compile(
    r"^(sk-[A-Za-z0-9_\-]{8,}|hf_[A-Za-z0-9]{16,}|Bearer\s+\S+|gh[pousr]_[A-Za-z0-9]{20,})$"
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_secret_key(name: str) -> bool:
    """True when a config key's name says its value is a credential."""
    if _API_KEY.search(name) or name.lower() in {"authorization", "auth"}:
        return True
    words = _words(name)
    for i, word in enumerate(words):
        if word in _SECRET_WORDS:
            if word == "token" and i > 0 and words[i - 1] in _SPECIAL_TOKENS:
                continue
            return True
    return False


def redact(config: Any) -> Any:
    """Return a deep copy of ``config`` with every secret value replaced by ``"***"``.

    Dicts, lists and tuples are walked recursively; the input is not modified. Empty values
    (``None``, ``""``) are kept as they are, so a redacted config still shows that no key was set.
    """
    if isinstance(config, Mapping):
        out = {}
        for key, value in config.items():
            secret = is_secret_key(str(key)) and value not in (None, "")
            if secret and _ENV_SUFFIX.search(str(key)) and isinstance(value, str):
                secret = not _ENV_NAME.match(value)
            out[key] = MASK if secret and not isinstance(value, Mapping) else redact(value)
        return out
    if isinstance(config, list | tuple):
        return type(config)(redact(v) for v in config)
    if isinstance(config, str) and _SECRET_VALUE.match(config.strip()):
        return MASK
    return config


def check_env_name(api_key_env: str) -> str:
    """Check that ``api_key_env`` names a variable (and is not a pasted key)."""
    if not isinstance(api_key_env, str) or not _ENV_NAME.match(api_key_env):
        raise SaroError(
            "api_key_env must name an environment variable (like OPENAI_API_KEY), "
            "not hold the key itself.",
            "Put the key in an environment variable and pass that variable's name.",
        )
    return api_key_env


def api_key_from_env(api_key_env: str) -> str | None:
    """The key held by the named environment variable, or ``None`` when it is unset or empty.

    Local servers (vLLM, llama.cpp) need no key, so an unset variable is not an error here; a
    server that answers 401 gets an error naming the variable instead.
    """
    return os.environ.get(check_env_name(api_key_env)) or None


def reject_inline_key(options: Mapping[str, Any], *, env: str) -> None:
    """Refuse ``api_key=...`` (or any secret-named option) passed as a config value."""
    bad = [k for k in options if is_secret_key(k) and k != "api_key_env"]
    if bad:
        raise SaroError(
            f"Option {bad[0]!r} would put a secret in a config; saro reads API keys only from "
            "the environment.",
            f"Export it as ${env} (or set api_key_env to the variable that holds it) and remove "
            f"{bad[0]!r}.",
        )
