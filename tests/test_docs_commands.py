"""Every command the documentation shows runs as written.

What is read: README.md and docs/*.md.  In each, the fenced blocks opened with ```sh, and in them
every line that starts with ``composer-assist`` (a trailing ``# comment`` dropped, lines ending in
``\\`` joined to the next).  Other lines of those blocks (``mkdir``, ``pulseaudio ...``) are not
run, and blocks marked ```text (synopses with placeholders such as FILE.mid) or left unmarked are
not read.  Python: the ```python blocks of the same files must compile and every name they
import must exist; README's scripting example is run whole.

How: each file's commands run in order (a command may use a file an earlier one in the same file
wrote), each as ``python -m composer_assist ...`` in a subprocess, from a temporary folder laid out
like the repository root (a copy of ``projects/``), so ``projects/demo`` resolves and outputs
(``out/...``) land in the copy.  The stem and plugin-scan cache is the test session's
(``COMPOSER_ASSIST_CACHE``); the model store and the trusted-plugins list are private
(``XDG_DATA_HOME``, ``XDG_CONFIG_HOME``).  ``play`` and ``devices`` play into the session's
PulseAudio null sink (the ``pulse_server`` fixture).  Each command must exit 0 within TIMEOUT_S.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PROGRAM = "composer-assist"
TIMEOUT_S = 300.0


def fences(path: Path) -> list[tuple[str, int, list[tuple[int, str]]]]:
    """(language, line of the opening fence, [(line number, text)]) of every fenced block."""
    out: list[tuple[str, int, list[tuple[int, str]]]] = []
    current = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        s = line.strip()
        if current is None:
            if s.startswith("```"):
                info = s[3:].strip()
                current = (info.split()[0] if info else "", n, [])
        elif s.startswith("```"):
            out.append(current)
            current = None
        else:
            current[2].append((n, line))
    assert current is None, f"{path.name}: the fence opened at line {current[1]} is never closed"
    return out


def doc_commands(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, argv after the program name) of each command in the file's ```sh blocks."""
    out = []
    for lang, _, lines in fences(path):
        if lang != "sh":
            continue
        pending, first = "", 0
        for n, text in lines:
            if not pending:
                first = n
            if text.rstrip().endswith("\\"):
                pending += text.rstrip()[:-1] + " "
                continue
            logical, pending = (pending + text).strip(), ""
            if logical.split(" ", 1)[0] == PROGRAM:
                argv = shlex.split(logical, comments=True)
                out.append((first, argv[1:]))
    return out


def python_blocks(path: Path) -> list[tuple[int, str]]:
    return [(start, "\n".join(t for _, t in lines)) for lang, start, lines in fences(path) if lang == "python"]


COMMANDS = {p: doc_commands(p) for p in DOC_FILES}
FILES_WITH_COMMANDS = [p for p in DOC_FILES if COMMANDS[p]]


def _needs_audio_device(argv: list[str]) -> bool:
    return argv[0] == "devices" or (argv[0] == "play" and "--null" not in argv)


def _shown(path: Path, line: int, argv: list[str]) -> str:
    return f"{path.relative_to(ROOT)}:{line}: {PROGRAM} {shlex.join(argv)}"


# ---- fast checks ------------------------------------------------------------------------------
def test_the_docs_show_commands_the_parser_accepts():
    """Every command parses (subcommand and options exist), and none would play forever."""
    from composer_assist.cli.main import build_parser

    total = sum(len(c) for c in COMMANDS.values())
    assert total >= 40, f"only {total} commands found in the docs' ```sh blocks: did the fence format change?"
    assert len(COMMANDS[ROOT / "README.md"]) >= 10
    parser = build_parser()
    for path, commands in COMMANDS.items():
        for line, argv in commands:
            shown = _shown(path, line, argv)
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # --help prints the help
                    parser.parse_args(argv)
            except SystemExit as exc:  # --help exits 0 after printing
                if exc.code != 0:
                    pytest.fail(f"{shown}: rejected by the argument parser (exit {exc.code})")
            if argv[0] == "play":
                assert "--duration" in argv or "--trace" in argv, \
                    f"{shown}: plays until stopped; give it --duration (or a --trace, which ends)"


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_compile_and_their_imports_exist(path):
    for line, code in python_blocks(path):
        where = f"{path.relative_to(ROOT)}: the python block at line {line}"
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            pytest.fail(f"{where}: {exc}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    importlib.import_module(alias.name)
            elif isinstance(node, ast.ImportFrom):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if not hasattr(module, alias.name):
                        try:
                            importlib.import_module(f"{node.module}.{alias.name}")
                        except ImportError:
                            pytest.fail(f"{where}: {node.module} has no {alias.name}")


# ---- running them -----------------------------------------------------------------------------
def _workspace(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder laid out like the repository root, and the environment to run commands in it."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "projects", work / "projects",
                    ignore=shutil.ignore_patterns("models", "__pycache__"))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")  # the user model store
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")  # the trusted-plugins list
    env.pop("COMPOSER_ASSIST_MODELS", None)  # so the documented default store is the one used
    assert env.get("COMPOSER_ASSIST_CACHE"), "the session's private stem cache (tests/conftest.py)"
    return work, env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], shown: str) -> float:
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{shown}: still running after {TIMEOUT_S:g} s")
    if r.returncode != 0:
        tail = "\n".join((r.stdout.strip().splitlines() + r.stderr.strip().splitlines())[-15:])
        pytest.fail(f"{shown}: exit status {r.returncode}\n{tail}")
    return time.monotonic() - t0


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES_WITH_COMMANDS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_commands_run_as_written(path, tmp_path, request):
    commands = COMMANDS[path]
    if any(_needs_audio_device(argv) for _, argv in commands):
        request.getfixturevalue("pulse_server")  # PULSE_SERVER set for the subprocesses
    work, env = _workspace(tmp_path)
    times = []
    for line, argv in commands:
        shown = _shown(path, line, argv)
        times.append((_run([sys.executable, "-m", "composer_assist", *argv], work, env, shown), shown))
    print("\n".join(f"{t:6.1f} s  {shown}" for t, shown in times))


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path):
    blocks = python_blocks(ROOT / "README.md")
    assert blocks, "README.md has no python block"
    work, env = _workspace(tmp_path)
    for line, code in blocks:
        script = tmp_path / f"readme_{line}.py"
        script.write_text(code + "\n", encoding="utf-8")
        _run([sys.executable, str(script)], work, env, f"README.md: the python block at line {line}")
    assert (work / "out" / "script" / "adaptive.wav").is_file()
