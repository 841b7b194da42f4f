"""A short real project for the package tests: 2 bars at 120 bpm (4 s), two variants of two
Faust layers (DawDreamer renders them; the session stem cache keeps them), a stinger, a loop over
the whole cue (release tails ring over the wrap)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from composer_assist.core.trace import Trace


def _layer(name: str, plugin: str, notes: list, gain: float, pan: float = 0.0, rng=(0.0, 1.0)) -> dict:
    return {"name": name, "instrument": {"plugin": plugin}, "gain_db": gain, "pan": pan, "intensity": list(rng),
            "fade": 0.1, "clips": [{"start": 0.0, "notes": notes}]}


CHORDS = [[0.0, 3.9, 62, 70], [0.0, 3.9, 65, 70], [0.0, 3.9, 69, 70], [4.0, 3.9, 60, 70], [4.0, 3.9, 64, 70]]
BASS = [[0.0, 1.9, 38, 90], [2.0, 1.9, 41, 90], [4.0, 1.9, 36, 90], [6.0, 1.9, 43, 90]]
KEYS = [[float(b) * 0.5, 0.45, 69 + (b % 4) * 2, 80] for b in range(16)]

PROJECT = {
    "schema_version": 1, "name": "package test", "sample_rate": 48000,
    "cues": [{
        "name": "short", "tempo": 120.0, "meter": "4/4", "key": "D minor", "length_bars": 2,
        "loop": [0.0, 8.0], "markers": [{"name": "half", "beat": 4.0}],
        # a switch budget of 10 a minute (one every 6 s) binds on the swing: its return waits for it
        "adaptive": {"dwell_bars": 0.5, "hysteresis": 0.1, "intensity_slew": 1.0, "control_rate": 10.0,
                     "max_switches_per_minute": 10},
        "transitions": [{"from": "*", "to": "*", "leave": "beat", "enter": "same", "fade_beats": 1.0},
                        {"from": "calm", "to": "tense", "leave": "bar", "enter": "same", "fade_beats": 0.5,
                         "curve": "linear", "stinger": "hit"}],
        "stingers": [_layer("hit", "keys", [[0.0, 0.5, 81, 100]], -6.0)],
        "variants": [
            {"name": "calm", "valence": 0.5, "arousal": -0.5, "tags": ["calm"], "intensity": [0.0, 0.6],
             "layers": [_layer("pad", "pad", CHORDS, -6.0), _layer("bass", "bass", BASS, -8.0, 0.2, (0.3, 1.0))]},
            {"name": "tense", "valence": -0.5, "arousal": 0.6, "tags": ["tense"], "intensity": [0.3, 1.0],
             "level_offset_lu": 1.0,
             "layers": [_layer("bass", "bass", BASS, -6.0), _layer("keys", "keys", KEYS, -9.0, -0.4, (0.5, 1.0))]},
        ],
    }],
}


def write_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.json").write_text(json.dumps(PROJECT, indent=1), encoding="utf-8")
    return folder


def swinging_trace(seconds: float = 12.0) -> Trace:
    """Calm, then tense, then calm again: two switches and intensity moving, past two loop wraps."""
    t = np.arange(0.0, seconds + 1e-9, 0.5)
    valence = np.where((t > 3.0) & (t < 8.0), -0.6, 0.5)
    arousal = np.where((t > 3.0) & (t < 8.0), 0.7, -0.4)
    return Trace(times=t, valence=valence, arousal=arousal, name="swing")


# ---- hand edits of a manifest ---------------------------------------------------------------------
DELETE = object()  # an edit that removes the field
# what a hand edit puts in a field: wrong types, edges of ranges, numbers far out of any range
ODD_VALUES = [0, -1, 0.5, 2, 4000, 1e20, -1e20, 10 ** 30, "x", "", [], {}, None, True, [0.2, 0.1], DELETE]


def manifest_fields(m, path=(), skip=("files",)):
    """(path, value) of every field of a manifest, the first two items of each list."""
    if path:
        yield path, m
    if isinstance(m, dict):
        for k, v in m.items():
            if k not in skip:
                yield from manifest_fields(v, path + (k,), skip)
    elif isinstance(m, list):
        for i, v in enumerate(m[:2]):
            yield from manifest_fields(v, path + (i,), skip)


def field_name(path) -> str:
    """``cue.tempo[0].bpm`` for ("cue", "tempo", 0, "bpm")."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def edited(m, path, value):
    """A copy of manifest ``m`` with the field at ``path`` set to ``value`` (or removed: DELETE)."""
    import copy

    out = copy.deepcopy(m)
    parent = out
    for p in path[:-1]:
        parent = parent[p]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return out


def one_field_edits(m, values=ODD_VALUES):
    """(path, value) of every one-field edit of ``m`` by ``values`` that changes it."""
    for path, orig in manifest_fields(m):
        for v in values:
            if v is DELETE or type(v) is not type(orig) or v != orig:
                yield path, v
