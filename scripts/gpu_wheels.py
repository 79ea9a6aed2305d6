"""Build ``.gpu-wheels/``: what ``scripts/gpu_smoke.sh`` installs on a GPU image that has torch,
transformers, accelerate and peft but not trl, datasets, gguf or saro's CLI libraries, and
cannot download (``make gpu-wheels``).

The set is the installed requirement closure of trl, datasets, gguf and saro's CLI libraries in
this virtual environment, minus what torch, transformers, accelerate and peft pull in and minus
the packages the lent GPU image lists (:data:`IMAGE_HAS`, read from the device notes of
2026-11-17: it has pyarrow, pandas, scipy, scikit-learn, typer, rich...), at the versions
installed here, downloaded with ``pip download --no-deps`` for the image's Python (3.12) and
manylinux x86-64. Keep it under the device transfer's 64 MiB.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / ".gpu-wheels"
WANT = ("trl", "datasets", "gguf", "typer", "rich", "scikit-learn", "jinja2")
HAVE = ("torch", "transformers", "accelerate", "peft")
_IMAGE = """
aiohttp aiosignal anyio attrs certifi charset-normalizer click cloudpickle filelock frozenlist
fsspec h11 hf-xet httpcore httpx huggingface-hub idna jinja2 joblib markdown-it-py markupsafe
mdurl multidict narwhals numpy packaging pandas propcache pyarrow pygments python-dateutil
pyyaml regex requests rich safetensors scikit-learn scipy shellingham six threadpoolctl
tokenizers tqdm typer typing-extensions tzdata urllib3 xxhash yarl
"""
IMAGE_HAS = frozenset(_IMAGE.split())
PYTHON = "3.12"  # the GPU image's python3


def _name(req: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0].lower().replace("_", "-")


def closure(roots: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    todo = [r.lower() for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for req in dist.requires or []:
            if "extra ==" in req:
                continue
            todo.append(_name(req))
    return seen


def main() -> int:
    needed = sorted(closure(WANT) - closure(HAVE) - IMAGE_HAS)
    pins = [f"{n}=={metadata.version(n)}" for n in needed]
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.whl"):
        old.unlink()
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(OUT),
           "--only-binary=:all:", "--python-version", PYTHON, "--implementation", "cp",
           *[a for tag in ("manylinux_2_28", "manylinux_2_17", "manylinux2014", "manylinux1")
             for a in ("--platform", f"{tag}_x86_64")],
           *pins]  # fmt: skip
    print("downloading:", " ".join(pins))
    done = subprocess.run(cmd)
    (OUT / "requirements.txt").write_text("\n".join(pins) + "\n")
    size = sum(p.stat().st_size for p in OUT.glob("*.whl"))
    print(f"{len(list(OUT.glob('*.whl')))} wheels, {size / 2**20:.1f} MiB in {OUT}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
