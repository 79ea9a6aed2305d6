"""Matplotlib on the Agg backend (no display needed), one small helper per common need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saro.pipeline.roster import ROSTER

# Colours per model, stable across every plot of a report (from the roster).
COLORS = {a.key: a.color for a in ROSTER}
KIND_COLORS = {"harmful": "#d62728", "jailbreak": "#ff7f0e", "benign": "#1f77b4"}


def pyplot():
    """Import pyplot with the Agg backend (analyses run on servers and in tests)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path) -> str:
    """Save a figure as PNG, close it, and return the file name (relative to analysis/)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    return path.name


def empty_panel(ax: Any, text: str) -> None:
    """Mark an axis as having no data, with the reason."""
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=9, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])
