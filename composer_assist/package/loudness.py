"""Delivery loudness: one gain that puts the cue at nominal intensity at TARGET_LUFS integrated,
never letting any variant's true peak above CEILING_DBTP.

Level matching (``core.level_match``) already sets every variant at a common level (plus its
``level_offset_lu``) at its nominal intensity, with its nominal and full mixes' true peaks
measured (BS.1770-4, 4x oversampling); export adds each variant's highest true peak over its
intensity range with the level match over intensity in (``core.intensity_peaks``, within 0.1 dB
above the exact figure).  A gain scales loudness and true peak alike, so the delivery figures
follow from those measurements exactly; the package test checks them against ffmpeg's ebur128
meter on the shipped stems.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from composer_assist.core.intensity_peaks import intensity_peaks_dbtp
from composer_assist.core.level_match import CEILING_DBTP, LevelMatch
from composer_assist.core.project import Cue

from .manifest import Loudness, VariantLoudness

TARGET_LUFS = -14.0  # streaming delivery (the level streaming services normalise to)


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def delivery_loudness(cue: Cue, levels: LevelMatch, target_lufs: float = TARGET_LUFS,
                      ceiling_dbtp: float = CEILING_DBTP, intensity_peaks: Mapping[str, float] | None = None
                      ) -> Loudness:
    """The delivery gain and the shipped figures (see the module docstring); ``intensity_peaks``:
    each variant's highest true peak over its intensity range (``core.intensity_peaks``), where
    higher than its measured mixes."""
    ref = levels.reference_lufs
    rows = intensity_peaks or {}
    peaks = {k: max(p, rows.get(k, p)) + levels.gain_db(k) for k, p in levels.true_peaks_dbtp.items()
             if math.isfinite(p)}
    top = max(peaks.values(), default=-math.inf)
    note, met = "", True
    if ref is None or not math.isfinite(ref):
        gain, met, note = 0.0, False, "the cue is silent at nominal intensity: no loudness to set"
    else:
        gain = target_lufs - ref
        if top + gain > ceiling_dbtp:
            gain = ceiling_dbtp - top
            met = False
            note = (f"held at {ref + gain:.1f} LUFS: a louder cue would peak above {ceiling_dbtp:.0f} dBTP "
                    f"(its peak-to-loudness ratio is {top - ref:.1f} dB)")
    variants = {}
    for v in cue.variants:
        lufs = None if ref is None else ref + v.level_offset_lu + gain
        if levels.loudness.get(v.name) is None:
            lufs = None
        tp = peaks.get(v.name)
        variants[v.name] = VariantLoudness(integrated_lufs=_r(lufs), true_peak_dbtp=_r(None if tp is None else tp + gain))
    return Loudness(target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp,
                    cue_lufs=_r(None if ref is None else ref + gain), true_peak_dbtp=_r(top + gain),
                    delivery_gain_db=round(gain, 6), target_met=met, note=note, variants=variants)


def render_delivery(cue: Cue, stems: Mapping[str, Mapping[str, np.ndarray]], levels: LevelMatch,
                    rows: Mapping[str, float] | None = None) -> Loudness:
    """``delivery_loudness`` of rendered ``stems`` matched by ``levels``, every intensity row's
    peak in (``core.intensity_peaks``; ``rows``: those already measured, as ``CueRender``
    keeps them): what export ships and what ``evaluate`` judges the peak at."""
    if rows is None:
        rows = intensity_peaks_dbtp(cue, stems, levels.windows, levels.true_peaks_dbtp)
    return delivery_loudness(cue, levels, intensity_peaks=rows)
