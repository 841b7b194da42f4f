"""Helpers for the project-file reliability tests: small MIDI files, CLI runs, folder snapshots."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import mido

WORKTREE = Path(__file__).resolve().parents[2]


def write_midi(path: Path, pitches=(60, 62, 64, 65), ticks: int = 240, bpm: float = 120.0) -> Path:
    """A one-track standard MIDI file of quarter notes."""
    mf = mido.MidiFile(ticks_per_beat=ticks)
    tr = mido.MidiTrack()
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    for p in pitches:
        tr.append(mido.Message("note_on", note=p, velocity=90, time=0))
        tr.append(mido.Message("note_off", note=p, velocity=0, time=ticks))
    mf.tracks.append(tr)
    path.parent.mkdir(parents=True, exist_ok=True)
    mf.save(path)
    return path


def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(WORKTREE)}


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``composer-assist ARGS`` in a fresh interpreter; a hang fails the test through the timeout."""
    return subprocess.run([sys.executable, "-m", "composer_assist", *map(str, args)], cwd=cwd,
                          env=cli_env(), capture_output=True, text=True, timeout=timeout)


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: kind plus content hash (files), target (links), nothing else.

    Pipes and devices are recorded by kind only (never opened).
    """
    out: dict[str, tuple] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            p = Path(root) / name
            rel = p.relative_to(folder).as_posix()
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                out[rel] = ("file", stat.S_IMODE(st.st_mode), h.hexdigest())
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir",)
            else:
                out[rel] = ("other", stat.S_IFMT(st.st_mode))
    return out
