"""Metadata of the Faust plugins (``NAME.json`` beside ``NAME.dsp``): kind, voices, tail, params,
and which MIDI notes an instrument sounds (``notes``).

Plain JSON, so the project loader can check parameter names and ranges without loading a plugin,
and the renderer (or a MIDI importer) can tell which notes would come out silent.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..errors import PluginError

DEFAULT_VOICES = 8
DEFAULT_RELEASE_S = 0.5
MAX_VOICES = 64
MAX_RELEASE_S = 30.0  # longer would only pad every stem with silence (and stretch its timeout)


def faust_meta(dsp: Path) -> dict:
    """The metadata JSON beside a Faust dsp, with defaults filled in (a fresh copy each call)."""
    side = Path(dsp).with_suffix(".json")
    mtime = side.stat().st_mtime_ns if side.exists() else 0
    return json.loads(_read(str(side), mtime))


@lru_cache(maxsize=64)
def _read(side_path: str, mtime: int) -> str:
    side = Path(side_path)
    meta: dict[str, Any] = {"name": side.stem, "kind": "instrument", "voices": DEFAULT_VOICES,
                            "release_s": DEFAULT_RELEASE_S, "params": {}}
    if mtime:
        try:
            data = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PluginError(f"{side}: cannot read plugin metadata: {exc}") from None
        if not isinstance(data, dict):
            raise PluginError(f"{side}: plugin metadata must be a JSON object")
        meta.update({k: v for k, v in data.items() if v is not None})
    if meta["kind"] not in ("instrument", "effect"):
        raise PluginError(f"{side}: kind: expected 'instrument' or 'effect', got {meta['kind']!r}")
    lo_voices = 1 if meta["kind"] == "instrument" else 0  # an effect has no voices (0 by convention)
    meta["voices"] = _whole(side, "voices", meta["voices"], lo_voices, MAX_VOICES)
    meta["release_s"] = _number(side, "release_s", meta["release_s"], 0.0, MAX_RELEASE_S)
    if "notes" in meta:
        meta["notes"] = _notes(side, meta["notes"])
    if not isinstance(meta["params"], dict):
        raise PluginError(f"{side}: params: expected an object")
    for name, spec in meta["params"].items():
        where = f"params.{name}"
        if not isinstance(spec, dict):
            raise PluginError(f"{side}: {where}: expected an object with default, min and max")
        for key in ("default", "min", "max"):
            if key not in spec:
                raise PluginError(f"{side}: {where}.{key}: missing")
            spec[key] = _number(side, f"{where}.{key}", spec[key])
        if spec["min"] > spec["max"]:
            raise PluginError(f"{side}: {where}: min {spec['min']:g} is above max {spec['max']:g}")
        if not spec["min"] <= spec["default"] <= spec["max"]:
            raise PluginError(f"{side}: {where}.default: {spec['default']:g} is outside "
                              f"{spec['min']:g}..{spec['max']:g}")
        for key in ("unit", "help"):
            if key in spec and not isinstance(spec[key], str):
                raise PluginError(f"{side}: {where}.{key}: expected a string")
    return json.dumps(meta)


def _notes(side: Path, value: Any) -> list[int]:
    """``notes``: a list of MIDI notes and inclusive ``[low, high]`` ranges, e.g. ``[[35, 51], 57]``;
    returned as the sorted list of every note."""
    if not isinstance(value, list) or not value:
        raise PluginError(f"{side}: notes: expected a list of MIDI notes and [low, high] ranges, "
                          f"got {json.dumps(value)}")
    out: set[int] = set()
    for k, item in enumerate(value):
        where = f"notes[{k}]"
        if isinstance(item, list) and len(item) == 2:
            lo, hi = (_whole(side, f"{where}[{j}]", x, 0, 127) for j, x in enumerate(item))
            if lo > hi:
                raise PluginError(f"{side}: {where}: low {lo} is above high {hi}")
            out.update(range(lo, hi + 1))
        elif isinstance(item, list):
            raise PluginError(f"{side}: {where}: a range is [low, high], got {json.dumps(item)}")
        else:
            out.add(_whole(side, where, item, 0, 127))
    return sorted(out)


def playable_notes(meta: dict) -> frozenset[int] | None:
    """The MIDI notes an instrument sounds, from its metadata; None when every note sounds."""
    notes = meta.get("notes")
    return None if notes is None else frozenset(notes)


def silent_notes(meta: dict, pitches: Iterable[int]) -> list[int]:
    """The distinct ``pitches`` (sorted) that the instrument described by ``meta`` does not sound."""
    playable = playable_notes(meta)
    return [] if playable is None else sorted(set(pitches) - playable)


def note_ranges(notes: Iterable[int]) -> str:
    """``35-51, 57``: sorted notes as compact ranges."""
    parts: list[str] = []
    run: list[int] = []
    for n in sorted(set(notes)) + [None]:
        if run and (n is None or n != run[-1] + 1):
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
            run = []
        if n is not None:
            run.append(n)
    return ", ".join(parts)


def _number(side: Path, key: str, value: Any, lo: float = -math.inf, hi: float = math.inf) -> float:
    # bool is an int in Python but never a sensible number here
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PluginError(f"{side}: {key}: expected a number, got {json.dumps(value)}")
    try:
        out = float(value)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise PluginError(f"{side}: {key}: expected a finite number, got {value!r}")
    if not lo <= out <= hi:
        raise PluginError(f"{side}: {key}: {out:g} is outside {lo:g}..{hi:g}")
    return out


def _whole(side: Path, key: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, float) and value.is_integer()):
        raise PluginError(f"{side}: {key}: expected a whole number {lo}..{hi}, got {json.dumps(value)}")
    if not lo <= value <= hi:
        shown = str(value) if len(str(value)) <= 20 else f"{str(value)[:12]}... ({len(str(value))} digits)"
        raise PluginError(f"{side}: {key}: {shown} is outside {lo}..{hi}")
    return int(value)
