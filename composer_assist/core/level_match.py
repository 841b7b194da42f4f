"""Level matching of a cue's variants: one static gain per variant so every variant sits at the
same integrated loudness at its nominal intensity (plus the composer's ``level_offset_lu``), and
no variant's mix peaks above ``CEILING_DBTP``.

Nominal intensity is the middle of the variant's intensity range.  The loudness of a variant is
BS.1770 integrated loudness of its mix with each layer at its fader and pan times the gain the
intensity law (``mixmath.layer_gain``) gives at the nominal intensity.  The common reference is
the median of those loudnesses; each variant's target is reference + its ``level_offset_lu``.
If the matched full mix (every layer at full gain, the mixdown) or the nominal mix of any variant
would peak above CEILING_DBTP (true peak, 4x oversampled), the reference is lowered for all
variants by the excess, and ``messages`` says so.  So is it if a row of some variant's intensity
range, with the makeup of the level match over intensity (``level_windows.intensity_makeup``),
would peak above it (``intensity_peaks``: bounded within 0.1 dB, settled without a mix when the
layers' own peaks cannot add up to the ceiling).

The offline mixdown (``audio.mixdown``) and the stem set the adaptive mixer reads
(``playback.StemSet``) both apply these gains, computed by this one function from the same stems.
"""

from __future__ import annotations

import math
import statistics
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from .intensity_peaks import intensity_peaks_dbtp
from .level_windows import variant_windows, window_hop
from .levels import MAX_INTERSAMPLE_GAIN, integrated_lufs, true_peak_dbtp
from .mixmath import db_to_gain, layer_gain, layer_gains
from .project import Cue, Variant

CEILING_DBTP = -1.0  # no matched variant mix peaks above this (true peak)


@dataclass
class LevelMatch:
    gains_db: dict[str, float] = field(default_factory=dict)  # per variant, applied to every layer
    loudness: dict[str, float | None] = field(default_factory=dict)  # LUFS at nominal intensity, before
    reference_lufs: float | None = None  # after any lowering; a variant's target adds its offset
    lowered_db: float = 0.0  # how far the reference was lowered to stay under CEILING_DBTP
    messages: list[str] = field(default_factory=list)  # one line each: lowering, layers that clip
    # per variant, before its gain: the higher true peak (dBTP) of its nominal and its full mix
    true_peaks_dbtp: dict[str, float] = field(default_factory=dict)
    # per variant, after its gain: local loudness tables (core.level_windows), windows every
    # ``window_hop`` samples; empty: none measured (transitions then get no level trim)
    windows: dict[str, np.ndarray] = field(default_factory=dict)
    window_hop: int = 0

    def gain_db(self, variant: str) -> float:
        return self.gains_db.get(variant, 0.0)

    def gain(self, variant: str) -> float:
        return db_to_gain(self.gain_db(variant))


def nominal_intensity(variant: Variant) -> float:
    """The middle of the variant's intensity range: the intensity its level is matched at."""
    lo, hi = variant.intensity
    return 0.5 * (lo + hi)


MIX_CHUNK = 1 << 16  # samples per step of a mix: the working set stays in cache


def _mix(variant: Variant, stems: Mapping[str, np.ndarray], intensity: float | None) -> np.ndarray | None:
    """The variant's mix, each layer at fader, pan and (unless ``None``) the intensity law.

    Float64, the same values as converting each layer first and adding them in order; built a
    chunk at a time, every layer added while the chunk is in cache (one pass over memory).
    """
    if not any(layer.name in stems for layer in variant.layers):
        return None
    parts = []
    for layer in variant.layers:
        if layer.name not in stems:
            continue
        gl, gr = layer_gains(layer.gain_db, layer.pan)
        g = 1.0 if intensity is None else float(layer_gain(intensity, layer.intensity[0], layer.intensity[1],
                                                           layer.fade))
        if g != 0.0:  # silent at this intensity (rendered audio is finite: adding 0 * it changes nothing)
            parts.append((np.asarray(stems[layer.name]), (g * gl, g * gr)))
    out = np.zeros((2, max(np.asarray(s).shape[-1] for s in stems.values())))
    tmp = np.empty(MIX_CHUNK)
    for s in range(0, out.shape[1], MIX_CHUNK):
        for ch in (0, 1):
            for a, coef in parts:
                e = min(a.shape[-1], s + MIX_CHUNK)
                if e > s:
                    np.multiply(a[ch, s:e], coef[ch], out=tmp[:e - s], dtype=np.float64)
                    out[ch, s:e] += tmp[:e - s]
    return out


def _all_full(variant: Variant, stems: Mapping[str, np.ndarray], intensity: float) -> bool:
    """Whether every rendered layer plays at full gain at ``intensity``."""
    return all(float(layer_gain(intensity, l.intensity[0], l.intensity[1], l.fade)) == 1.0
               for l in variant.layers if l.name in stems)


def _peak(x: np.ndarray) -> float:
    """Largest |sample| (two reductions, no |x| copy)."""
    return float(max(x.max(initial=0.0), -x.min(initial=0.0)))


def _layer_warnings(v: Variant, per: Mapping[str, np.ndarray], m: LevelMatch) -> None:
    """A message for each layer of ``v`` whose true peak alone is over full scale."""
    for layer in v.layers:
        if layer.name in per:
            gl, gr = layer_gains(layer.gain_db, layer.pan)
            raw = np.asarray(per[layer.name])
            # Oversampled values never exceed the sample peak times the interpolation filter's
            # gain (< 2.3, +7 dB): a quieter layer cannot be over full scale, no need to measure it
            # (nor to build it: each channel's peak times its gain is the scaled layer's peak).
            if max(_peak(raw[0]) * abs(gl), _peak(raw[1]) * abs(gr)) * MAX_INTERSAMPLE_GAIN <= 1.0:
                continue
            a = np.asarray(raw, dtype=np.float64)
            tp = true_peak_dbtp(np.stack([a[0] * gl, a[1] * gr]))
            if tp > 0.0:
                m.messages.append(f"warning: variant {v.name!r} layer {layer.name!r} alone peaks at "
                                  f"{tp:+.1f} dBTP (over full scale): lower its gain_db")


PENDING_VARIANTS = 1  # variants still measuring while the next one mixes (bounds the mixes held)


def _measure(cue: Cue, sample_rate: int, stems: Mapping[str, Mapping[str, np.ndarray]], m: LevelMatch
             ) -> dict[str, float]:
    """Each variant's loudness (into ``m``), local loudness table at unit gain (into
    ``m.windows``) and true peak (returned), nominal and full mix.

    The measurements run on two threads outside the GIL while this thread mixes the next variant;
    the full mix is the nominal one when every layer plays in full.
    """
    pending: list[tuple[str, Future, list[Future]]] = []
    peaks: dict[str, float] = {}
    tables: dict[str, Future] = {}

    def collect(name: str, loudness: Future, tps: list[Future]) -> None:
        lufs = loudness.result()
        m.loudness[name] = lufs if lufs is not None and math.isfinite(lufs) else None
        peaks[name] = max(f.result() for f in tps)
        m.windows[name] = tables.pop(name).result()

    with ThreadPoolExecutor(2) as pool:
        for v in cue.variants:
            per = stems.get(v.name, {})
            _layer_warnings(v, per, m)
            nominal = _mix(v, per, nominal_intensity(v))
            if nominal is None:
                m.loudness[v.name] = None
                continue
            loudness = pool.submit(integrated_lufs, nominal, sample_rate)
            tables[v.name] = pool.submit(variant_windows, cue, v.name, sample_rate, per)
            tps = [pool.submit(true_peak_dbtp, nominal)]
            del nominal
            if not _all_full(v, per, nominal_intensity(v)):
                tps.append(pool.submit(true_peak_dbtp, _mix(v, per, None)))
            pending.append((v.name, loudness, tps))
            while len(pending) > PENDING_VARIANTS:
                collect(*pending.pop(0))
        for item in pending:
            collect(*item)
    return peaks


def match_levels(cue: Cue, sample_rate: int, stems: Mapping[str, Mapping[str, np.ndarray]]) -> LevelMatch:
    """Per-variant gains for ``stems[variant][layer]`` (2, n) arrays; see the module docstring."""
    m = LevelMatch()
    peaks = _measure(cue, sample_rate, stems, m)
    measured = {k: x for k, x in m.loudness.items() if x is not None}
    if not measured:
        m.windows = {}
        return m
    reference = statistics.median(measured.values())
    offsets = {v.name: v.level_offset_lu for v in cue.variants}
    gains = {k: reference + offsets[k] - x for k, x in measured.items()}
    over = max(peaks[k] + g for k, g in gains.items()) - CEILING_DBTP
    if over > 0.0:
        m.lowered_db = over
        gains = {k: g - over for k, g in gains.items()}
        reference -= over
        m.messages.append(f"levels: lowered the common target by {over:.1f} dB to {reference:.1f} LUFS so "
                          f"no variant peaks above {CEILING_DBTP:.0f} dBTP")
    # the tables were measured at unit gain: C scales with the square of the gain
    m.windows = {k: t * db_to_gain(gains[k]) ** 2 for k, t in m.windows.items() if k in gains}
    # The rows of the intensity range, their makeup in, may peak above both mixes measured.  A
    # common gain leaves the makeup as it is: lowering all by the excess settles it.
    rows = intensity_peaks_dbtp(cue, stems, m.windows, {k: CEILING_DBTP - g for k, g in gains.items()},
                                strict=True)
    more = max((p + gains[k] for k, p in rows.items()), default=-math.inf) - CEILING_DBTP
    if more > 1e-6:  # (dB: a row exactly at the ceiling, through a log and back)
        m.lowered_db += more
        gains = {k: g - more for k, g in gains.items()}
        reference -= more
        m.windows = {k: t * db_to_gain(-more) ** 2 for k, t in m.windows.items()}
        m.messages.append(f"levels: lowered the common target by {more:.1f} dB more to {reference:.1f} LUFS so "
                          f"no variant peaks above {CEILING_DBTP:.0f} dBTP at any intensity (the level match over "
                          f"intensity raises its quieter rows)")
    m.gains_db, m.reference_lufs, m.true_peaks_dbtp = gains, reference, peaks
    m.window_hop = window_hop(sample_rate)
    return m
