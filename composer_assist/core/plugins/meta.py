"""Metadata of the Faust plugins (``NAME.json`` beside ``NAME.dsp``): kind, voices, tail, params.

Plain JSON, so the project loader can check parameter names and ranges without loading a plugin.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

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
