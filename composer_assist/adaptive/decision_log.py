"""The decision log: every switch, hold and gain change with its time, reason and trace value.

JSON, ``schema_version`` 1 (documented in docs/adaptive.md), written atomically.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from composer_assist.core.atomic import atomic_write_json

DECISION_LOG_SCHEMA_VERSION = 1
REASONS = ("emotion_distance", "dwell", "quantisation_wait", "hysteresis", "planned", "arousal", "intensity",
           "confirm", "budget", "override")
LAYER_ON, LAYER_OFF = 0.5, 0.5  # a layer "enters" when its gain rises through this


def layer_entries(stems, history: np.ndarray, block: int, intensity_log: list[dict]) -> list[dict[str, Any]]:
    """Layer in/out entries from the mixer's per-block history (intensity, decks' variant and env)."""
    from composer_assist.core.mixmath import LUT_STEPS

    out: list[dict[str, Any]] = []
    sr = stems.sample_rate
    if history is None or history.shape[0] == 0:
        return out
    k = np.clip((history[:, 0] * LUT_STEPS + 0.5).astype(np.int64), 0, LUT_STEPS)
    for vi, name in enumerate(stems.variant_names):
        # The layer gain of this variant as it would sound if playing (intensity only).
        on = stems.luts[vi][k] >= LAYER_ON  # (blocks, layers)
        playing = (history[:, 1] == vi) | (history[:, 3] == vi)
        for li, layer in enumerate(stems.layer_names[vi]):
            state = on[:, li] & playing
            flips = np.flatnonzero(state[1:] != state[:-1]) + 1
            for b in flips:
                t = float(b * block / sr)
                if not (playing[b] and playing[b - 1]):
                    continue  # the variant itself came or went: that is a switch, logged as such
                cause = next((e for e in reversed(intensity_log) if e["time"] <= t), None)
                out.append({"time": round(t, 4), "kind": "layer", "reason": "intensity",
                            "detail": f"{name}/{layer} {'enters' if state[b] else 'leaves'} at intensity "
                                      f"{history[b, 0]:.2f}",
                            "variant": name, "layer": layer, "state": "in" if state[b] else "out",
                            "intensity": round(float(history[b, 0]), 4),
                            "trace": cause["trace"] if cause else None})
    return out


def decision_log_json(result) -> dict[str, Any]:
    """The whole log of an AdaptiveResult as JSON-ready data."""
    cue = result.cue
    a = cue.adaptive
    entries = sorted(result.log_entries, key=lambda e: (e["time"], e["kind"] != "switch"))
    return {
        "schema_version": DECISION_LOG_SCHEMA_VERSION,
        "cue": cue.name,
        "mode": result.mode,
        "trace": getattr(result.trace, "name", "") or getattr(result.trace, "source", ""),
        "trace_start": result.track.trace_start,
        "profile": None if result.profile is None else {"cluster": result.profile.cluster,
                                                        "label": result.profile.label},
        "sample_rate": result.sample_rate,
        "duration": round(result.audio.shape[0] / result.sample_rate, 6),
        "settings": {"dwell_bars": a.dwell_bars, "hysteresis": a.hysteresis,
                     "intensity_slew": a.intensity_slew, "control_rate": a.control_rate,
                     "congruence_radius": a.congruence_radius,
                     "max_switches_per_minute": a.max_switches_per_minute,
                     "calibrate": bool(result.track.read_valence is not None),
                     "calibrated_by": _viewing_json(result)},
        "variants": [{"name": v.name, "valence": v.valence, "arousal": v.arousal, "tags": list(v.tags)}
                     for v in cue.variants],
        "quality": result.quality.to_json(),
        "entries": entries,
    }


def _viewing_json(result) -> dict | None:
    """The longer recording the viewer was calibrated by (``trace.viewing``), when it was."""
    viewing = getattr(result.trace, "viewing", None)
    if viewing is None or result.track.read_valence is None:
        return None
    whole = viewing.whole
    return {"recording": whole.name or whole.source, "at": round(viewing.at, 6)}


def write_decision_log(result, path: str | os.PathLike) -> None:
    atomic_write_json(path, decision_log_json(result))
