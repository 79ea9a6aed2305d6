"""The package's shape: no two modules depend on each other, and the layers point one way.

The import graph is read statically from the source, counting every import: at module level,
inside functions and under ``TYPE_CHECKING``. ``from package import name`` depends on the
submodule ``package.name`` when there is one, else on the package's ``__init__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "saro").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the saro modules it imports."""
    mods = _modules()

    def owner(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in mods else base)
            for target in targets:
                dep = owner(target) if target.startswith("saro") else None
                if dep and dep != mod:
                    graph[mod].add(dep)
    return graph


def test_no_two_modules_depend_on_each_other():
    graph = import_graph()
    mutual = sorted(
        (a, b) for a, deps in graph.items() for b in deps if a < b and a in graph.get(b, ())
    )
    assert not mutual, f"modules that import each other: {mutual}"


# Lower layers never import higher ones (the CLI sits on top of everything).
TOP = {"saro.cli", "saro.export"}  # the commands, and the export built on everything below
LAYERS = {
    "saro.cli": set(),
    "saro.export": {"saro.cli"},
    "saro.pipeline": TOP,
    "saro.analysis": TOP | {"saro.pipeline.stages", "saro.pipeline.runner"},
    "saro.datagen": TOP | {"saro.pipeline", "saro.analysis", "saro.train", "saro.evaluate"},
    "saro.train": TOP | {"saro.pipeline", "saro.analysis", "saro.datagen", "saro.evaluate"},
    "saro.evaluate": TOP | {"saro.pipeline", "saro.analysis", "saro.datagen", "saro.train"},
    "saro.judges": TOP | {"saro.pipeline", "saro.analysis", "saro.datagen", "saro.train",
                          "saro.evaluate", "saro.sources", "saro.attacks"},
    "saro.engines": TOP | {"saro.pipeline", "saro.analysis", "saro.datagen", "saro.train",
                           "saro.evaluate", "saro.judges", "saro.sources", "saro.attacks"},
    "saro.sources": TOP | {"saro.pipeline", "saro.analysis", "saro.datagen", "saro.train",
                           "saro.evaluate", "saro.judges", "saro.engines", "saro.attacks"},
}  # fmt: skip


def test_layers_point_one_way():
    bad = []
    for mod, deps in import_graph().items():
        for layer, forbidden in LAYERS.items():
            if mod == layer or mod.startswith(layer + "."):
                bad += [
                    (mod, d)
                    for d in deps
                    if any(d == f or d.startswith(f + ".") for f in forbidden)
                ]
    assert not bad, f"imports against the layering: {sorted(bad)}"
