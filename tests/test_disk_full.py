"""A full disk mid-write is one clear message (what happened, how to go on), never a traceback."""

from __future__ import annotations

import errno

from saro.cli import main
from saro.errors import disk_full


class SafetensorLikeError(Exception):
    """What safetensors raises: not an OSError, the reason only in its text."""


def test_disk_full_is_recognised_in_the_error_or_its_chain():
    err = OSError(errno.ENOSPC, "No space left on device", "runs/x/model.safetensors")
    assert "writing runs/x/model.safetensors" in str(disk_full(err))
    lib = SafetensorLikeError("Error while serializing: I/O error: No space left on device")
    assert "rerun the same command" in str(disk_full(lib))
    try:
        try:
            raise err
        except OSError as inner:
            raise RuntimeError("save failed") from inner
    except RuntimeError as outer:
        assert disk_full(outer) is not None
    assert disk_full(OSError(errno.EACCES, "Permission denied")) is None
    assert disk_full(ValueError("bad")) is None


def test_the_cli_prints_one_message_and_exits_2_on_a_full_disk(tmp_path, monkeypatch, capsys):
    def full(run_dir):
        raise OSError(errno.ENOSPC, "No space left on device", f"{run_dir}/report.md")

    monkeypatch.setattr("saro.analysis.report.write_report", full)
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "The disk is full" in err and "Traceback" not in err
