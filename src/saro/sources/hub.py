"""Online sources: the canonical Hugging Face datasets, through ``datasets.load_dataset``.

A GPU user with network runs the paper's setup by naming these instead of the offline twins.
Every loader takes ``loader=`` (a function with ``datasets.load_dataset``'s signature) so tests
pass a fake and never touch the network; :data:`LOAD_DATASET` is the process-wide default, which
CLI tests replace with ``monkeypatch``. ``dataset``, ``config`` and ``hub_split`` override where
the rows come from (mirrors, other splits); the row mapping stays the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from saro.errors import SaroError
from saro.records import Prompt, stable_id
from saro.sources.capability import LETTERS, render_multiple_choice
from saro.sources.registry import register_source


def _datasets_load(*args: Any, **kwargs: Any) -> Iterable[dict[str, Any]]:
    from datasets import load_dataset  # heavy import, only when a hub source is used

    return load_dataset(*args, **kwargs)


# Replace (e.g. with pytest's monkeypatch) to route every hub source through a fake.
LOAD_DATASET: Callable[..., Iterable[dict[str, Any]]] = _datasets_load


@dataclass(frozen=True)
class HubSpec:
    """Where a hub source's rows live and how one row becomes a prompt (None drops it)."""

    name: str
    dataset: str
    config: str | None
    split: str
    to_prompt: Callable[[str, int, dict[str, Any]], Prompt | None]
    twin: str | None = None
    load_kwargs: tuple[tuple[str, Any], ...] = ()


def load_hub(
    spec: HubSpec,
    *,
    loader: Callable[..., Iterable[dict[str, Any]]] | None = None,
    dataset: str | None = None,
    config: str | None = None,
    hub_split: str | None = None,
) -> list[Prompt]:
    """Fetch a hub dataset and map its rows to prompts, with a clear error when offline."""
    load = loader or LOAD_DATASET
    path = dataset or spec.dataset
    try:
        rows = list(
            load(
                path, config or spec.config, split=hub_split or spec.split, **dict(spec.load_kwargs)
            )
        )
    except Exception as err:  # noqa: BLE001 - any failure here means "could not fetch"
        detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else ""
        alt = f"use the offline source {spec.twin!r}" if spec.twin else "use an offline source"
        raise SaroError(
            f"{spec.name!r} is an online source ({path}); the hub is unreachable from here "
            f"or refused the request ({type(err).__name__}: {detail}).",
            f"To work offline, {alt} (see `saro sources list`); or set HF_HUB_OFFLINE=0 on a "
            "machine with network (and HF_TOKEN for gated datasets).",
        ) from None
    prompts = [p for i, row in enumerate(rows) if (p := spec.to_prompt(spec.name, i, row))]
    return _unique_ids(prompts)


def _unique_ids(prompts: list[Prompt]) -> list[Prompt]:
    # Rows without an id of their own are keyed by text; repeated texts keep the first copy.
    seen: set[str] = set()
    out = []
    for p in prompts:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out


def _own_id(name: str, row: dict[str, Any], key: str, text: str) -> str:
    value = row.get(key)
    return f"{name}/{value}" if value not in (None, "") else f"{name}/{stable_id(text)}"


def _xstest(name: str, i: int, row: dict[str, Any]) -> Prompt:
    kind_type = str(row.get("type", ""))
    label = str(row.get("label", "")).lower()
    unsafe = label == "unsafe" if label else kind_type.startswith("contrast")
    text = str(row["prompt"]).strip()
    return Prompt(
        id=_own_id(name, row, "id", text),
        text=text,
        kind="harmful" if unsafe else "benign",
        category=kind_type.lower(),
        source=name,
        meta={"focus": row.get("focus", ""), "note": row.get("note", "")},
    )


_WJ_KINDS = {
    "vanilla_harmful": "harmful",
    "adversarial_harmful": "jailbreak",
    "vanilla_benign": "benign",
    "adversarial_benign": "benign",
}


def _wildjailbreak(name: str, i: int, row: dict[str, Any]) -> Prompt | None:
    data_type = str(row.get("data_type", ""))
    text = str(row.get("adversarial") or row.get("vanilla") or "").strip()
    if not text or data_type not in _WJ_KINDS:
        return None
    adversarial = data_type.startswith("adversarial")
    return Prompt(
        id=f"{name}/{stable_id(text)}",
        text=text,
        kind=_WJ_KINDS[data_type],
        category=data_type,
        source=name,
        attack="wildjailbreak" if adversarial else None,
        meta={"vanilla": row.get("vanilla", "")} if adversarial else {},
    )


def _instruction(name: str, i: int, row: dict[str, Any]) -> Prompt | None:
    """An instruction-tuning row (Alpaca: ``instruction`` + ``input``; UltraFeedback:
    ``prompt``) as a general prompt."""
    text = str(row.get("prompt") or row.get("instruction") or "").strip()
    extra = str(row.get("input") or "").strip()
    if not text:
        return None
    text = f"{text}\n\n{extra}" if extra else text
    return Prompt(id=f"{name}/{stable_id(text)}", text=text, kind="general", category="instruction",
                  source=name)  # fmt: skip


def _harmful(name: str, i: int, row: dict[str, Any]) -> Prompt:
    text = str(row["prompt"]).strip()
    return Prompt(
        id=_own_id(name, row, "id", text),
        text=text,
        kind="harmful",
        category=str(row.get("category", "")).strip().lower(),
        source=name,
    )


def _gsm8k(name: str, i: int, row: dict[str, Any]) -> Prompt:
    text = str(row["question"]).strip()
    cot, _, answer = str(row["answer"]).rpartition("####")
    return Prompt(
        id=f"{name}/{stable_id(text)}",
        text=text,
        kind="math",
        category="arithmetic",
        source=name,
        reference=answer.strip().replace(",", ""),
        meta={"chain_of_thought": cot.strip()},
    )


def _arc(name: str, i: int, row: dict[str, Any]) -> Prompt:
    choices = row["choices"]
    labels = [str(label) for label in choices["label"]]
    options = [str(t).strip() for t in choices["text"]]
    letter = LETTERS[labels.index(str(row["answerKey"]))]
    stem = str(row["question"]).strip()
    return Prompt(
        id=_own_id(name, row, "id", stem),
        text=render_multiple_choice(stem, options),
        kind="general",
        category="science",
        source=name,
        reference=letter,
        choices=options,
        meta={"question": stem},
    )


def _mmlu(name: str, i: int, row: dict[str, Any]) -> Prompt:
    stem = str(row["question"]).strip()
    options = [str(c).strip() for c in row["choices"]]
    text = render_multiple_choice(stem, options)
    return Prompt(
        id=f"{name}/{stable_id(text)}",
        text=text,
        kind="general",
        category=re.sub(r"\s+", "_", str(row.get("subject", "")).strip().lower()),
        source=name,
        reference=LETTERS[int(row["answer"])],
        choices=options,
        meta={"question": stem},
    )


def _wj_spec(name: str, config: str) -> HubSpec:
    """WildJailbreak's ``eval`` or ``train`` configuration (TSV files, "None" kept as text)."""
    return HubSpec(name, "allenai/wildjailbreak", config, "train", _wildjailbreak,
                   twin="advbench",
                   load_kwargs=(("delimiter", "\t"), ("keep_default_na", False)))  # fmt: skip


# (spec, kind, license, description)
_HUB: list[tuple[HubSpec, str, str, str]] = [
    (
        HubSpec("xstest", "walledai/XSTest", None, "test", _xstest, twin="overrefusal"),
        "mixed",
        "CC-BY-4.0",
        "XSTest: 250 safe prompts that look unsafe + 200 unsafe contrasts (over-refusal)",
    ),
    (
        _wj_spec("wildjailbreak", "eval"),
        "mixed",
        "ODC-BY-1.0",
        "WildJailbreak eval: adversarial harmful (jailbreak) and adversarial benign prompts",
    ),
    (
        HubSpec("harmbench_hub", "walledai/HarmBench", "standard", "train", _harmful, "harmbench"),
        "harmful",
        "MIT",
        "HarmBench standard behaviours from the hub",
    ),
    (
        HubSpec(
            "strongreject_hub", "walledai/StrongREJECT", None, "train", _harmful, "strongreject"
        ),
        "harmful",
        "MIT",
        "StrongREJECT forbidden prompts from the hub",
    ),
    (
        HubSpec("gsm8k_hub", "openai/gsm8k", "main", "test", _gsm8k, twin="gsm8k_moonshot"),
        "math",
        "MIT",
        "GSM8K test (1,319 problems) with reference solutions",
    ),
    (
        HubSpec("arc_easy_hub", "allenai/ai2_arc", "ARC-Easy", "test", _arc, twin="arc_easy"),
        "general",
        "CC-BY-SA-4.0",
        "ARC-Easy test from the hub",
    ),
    (
        HubSpec(
            "arc_challenge_hub", "allenai/ai2_arc", "ARC-Challenge", "test", _arc, "arc_challenge"
        ),
        "general",
        "CC-BY-SA-4.0",
        "ARC-Challenge test from the hub",
    ),
    (
        HubSpec("mmlu_hub", "cais/mmlu", "all", "test", _mmlu, twin="mmlu"),
        "general",
        "MIT",
        "MMLU test (57 subjects, with subject as category)",
    ),
]

# Training sources (the paper-scale path): never evaluated; every prompt goes to the train split,
# less those that near-duplicate a held-out prompt (saro.sources.splits.load_split).
_HUB_TRAIN: list[tuple[HubSpec, str, str, str]] = [
    (
        _wj_spec("wildjailbreak_train", "train"),
        "mixed",
        "ODC-BY-1.0",
        "WildJailbreak train: vanilla and adversarial, harmful and benign (262k prompts)",
    ),
    (
        HubSpec("alpaca", "tatsu-lab/alpaca", None, "train", _instruction, twin="general"),
        "general",
        "CC-BY-NC-4.0",
        "Alpaca: 52k general instructions (instruction + input), for general RIT-D traces",
    ),
    (
        HubSpec(
            "ultrafeedback",
            "HuggingFaceH4/ultrafeedback_binarized",
            None,
            "train_prefs",
            _instruction,
            twin="general",
        ),  # fmt: skip
        "general",
        "MIT",
        "UltraFeedback (binarized) prompts: 61k general instructions",
    ),
    (
        HubSpec("gsm8k_train", "openai/gsm8k", "main", "train", _gsm8k, twin="gsm8k"),
        "math",
        "MIT",
        "GSM8K train (7,473 problems) with reference solutions",
    ),
]

HUB_SPECS: dict[str, HubSpec] = {}


def _register(
    spec: HubSpec, kind: str, license: str, description: str, *, train: bool = False
) -> None:
    def factory(
        loader: Callable[..., Iterable[dict[str, Any]]] | None = None,
        dataset: str | None = None,
        config: str | None = None,
        hub_split: str | None = None,
    ) -> list[Prompt]:
        return load_hub(spec, loader=loader, dataset=dataset, config=config, hub_split=hub_split)

    factory.__doc__ = f"{description} (hub: {spec.dataset})."
    origin = f"hf:{spec.dataset}" + (f"/{spec.config}" if spec.config else "") + f":{spec.split}"
    register_source(
        spec.name,
        kind=kind,
        license=license,
        offline=False,
        description=description,
        # every hub benchmark split is an eval/test split: never train on it; the training
        # sources are the opposite: never evaluated on
        eval_only=not train,
        train_only=train,
        origin=origin,
        offline_twin=spec.twin,
    )(factory)
    HUB_SPECS[spec.name] = spec


for _spec, _kind, _license, _description in _HUB:
    _register(_spec, _kind, _license, _description)
for _spec, _kind, _license, _description in _HUB_TRAIN:
    _register(_spec, _kind, _license, _description, train=True)
