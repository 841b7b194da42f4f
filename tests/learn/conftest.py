"""Helpers shared by the learn tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

# Enough for the program and its libraries; far less than a file's forged count could ask for, so
# a regression shows as a MemoryError here instead of the machine killing the test run.
MEMORY_CAP = 3 * 1024**3

_CAPPED = """
import contextlib, io, json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from composer_assist.cli.main import main
results = []
for argv in json.loads(sys.argv[2]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(argv)
        except BaseException as exc:  # MemoryError above all: what the cap turns an OOM kill into
            rc, err = -1, io.StringIO(f"{type(exc).__name__}: {exc}")
    results.append([rc, err.getvalue()])
print(json.dumps(results))
"""


@pytest.fixture
def capped_cli(tmp_path: Path) -> Callable[..., list[tuple[int, str]]]:
    """Run CLI commands (argv lists) in one child process whose address space is capped at
    MEMORY_CAP; returns (exit status, stderr) per command (-1 and the exception for a crash)."""
    def run(*argvs: list[str]) -> list[tuple[int, str]]:
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
        proc = subprocess.run([sys.executable, "-c", _CAPPED, str(MEMORY_CAP), json.dumps(argvs)],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return [(rc, err) for rc, err in json.loads(proc.stdout.strip().splitlines()[-1])]
    return run
