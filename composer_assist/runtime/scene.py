"""What the runtime follows: the viewer's sensed emotion, the title's own scene curve, or nothing.

* ``sensed``: the viewer's emotion stream (a trace, OSC or calls from code), as it comes.
* ``scene``: emotion sensing off.  The package carries the title's scene emotion curve
  (``scene_curve.json``: authored, or averaged from audience annotations, exported with
  ``export --scene-curve TRACE``); the runtime plans the whole curve ahead (planned mode), bent by
  the viewer's listener cluster when one is given.  Nothing about the viewer is read but their
  cluster.
* ``off``: no adaptation: the composer's default variant (the cue's first) held at its own
  emotion target, for the whole span, whatever the cluster.

The scene curve holds times, valence and arousal only (no other channel: an audience's heart
rate is nobody's business), at most ``MAX_SCENE_SAMPLES`` points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from composer_assist.core.errors import PackageError, TraceError
from composer_assist.core.project import Cue
from composer_assist.core.trace.model import Trace

from .source import load_json

EMOTION_SOURCES = ("sensed", "scene", "off")
SCENE_CURVE_NAME = "scene_curve.json"
SCENE_SCHEMA_VERSION = 1
MAX_SCENE_SAMPLES = 200_000  # a feature film at 2 Hz is ~15,000 points


def scene_curve_json(trace: Trace) -> dict[str, Any]:
    """The JSON a package stores for a scene curve (times from 0, valence and arousal rounded to 1e-6)."""
    if trace.times.size > MAX_SCENE_SAMPLES:
        raise PackageError(f"{trace.source or trace.name}: {trace.times.size} samples; a scene curve holds at "
                           f"most {MAX_SCENE_SAMPLES} (resample it)")
    t = trace.times - trace.times[0]
    return {"schema_version": SCENE_SCHEMA_VERSION, "name": trace.name or "scene",
            "times": [round(float(x), 6) for x in t], "valence": [round(float(x), 6) for x in trace.valence],
            "arousal": [round(float(x), 6) for x in trace.arousal]}


def read_scene_curve(data: bytes, source: str) -> Trace:
    """The scene curve of a package's ``scene_curve.json`` bytes (one-line errors)."""
    try:
        d = load_json(data)  # NaN or Infinity would reach the policy as a viewer's emotion
        if not isinstance(d, dict) or d.get("schema_version") != SCENE_SCHEMA_VERSION:
            raise ValueError(f"schema_version must be {SCENE_SCHEMA_VERSION}")
        cols = [np.asarray(d[k], dtype=np.float64) for k in ("times", "valence", "arousal")]
        if any(c.ndim != 1 or c.size != cols[0].size for c in cols) or not 2 <= cols[0].size <= MAX_SCENE_SAMPLES:
            raise ValueError(f"times, valence and arousal must be lists of the same length, 2..{MAX_SCENE_SAMPLES}")
        return Trace(cols[0], cols[1], cols[2], name=str(d.get("name", "scene")), source=source)
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, RecursionError, TraceError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PackageError(f"{source}: not a scene curve ({why})") from None


def off_trace(cue: Cue, seconds: float) -> Trace:
    """A flat curve at the default (first) variant's emotion target, ``seconds`` long."""
    v = cue.variants[0]
    return Trace(np.array([0.0, float(seconds)]), np.full(2, v.valence), np.full(2, v.arousal), name="off",
                 source=f"the default variant {v.name!r}")


def emotion_input(emotion: str, cue: Cue, sensed: Any, scene: Trace | None, mode: str | None, profile: Any,
                  seconds: float | None) -> tuple[Any, str | None, Any]:
    """(trace, mode, profile) the player follows for ``emotion`` (sensed | scene | off)."""
    if emotion not in EMOTION_SOURCES:
        raise PackageError(f"emotion source {emotion!r}: expected one of {', '.join(EMOTION_SOURCES)}")
    if emotion == "sensed":
        return sensed, mode, profile
    if emotion == "scene":
        if scene is None:
            raise PackageError("this package carries no scene curve (export it with --scene-curve TRACE)")
        return scene, "planned", profile
    if seconds is None:
        source = sensed if sensed is not None else scene
        if source is None:
            raise PackageError("--emotion off needs a length: --duration, --trace or the package's scene curve")
        seconds = float(source.times[-1] - source.times[0])
    return off_trace(cue, seconds), "planned", None


__all__ = ["EMOTION_SOURCES", "MAX_SCENE_SAMPLES", "SCENE_CURVE_NAME", "emotion_input", "off_trace",
           "read_scene_curve", "scene_curve_json"]
