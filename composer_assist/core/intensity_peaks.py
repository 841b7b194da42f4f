"""The highest true peak a variant reaches at any intensity, its level match over intensity in.

Level matching (``level_match``) measures each variant's true peak at two intensities, the nominal
and the full mix.  But the mixer plays a variant at any row of its intensity table (``gain_table``)
times that row's makeup (``level_windows.intensity_makeup``), and the makeup can raise a sparse
row by several dB: a row of a few peaky layers may peak above both measured mixes.

The true peak of a mix with layer gains ``g`` is ``f(g) = max |oversampled(sum_l g_l x_l)|``, a
maximum of absolute values of linear functions of ``g``: convex in ``g``.  Between two kinks of the
layers' intensity ramps every layer gain is affine in intensity (a hard edge, a layer without a
fade, steps there: each piece takes its gains as its inside reaches its ends), so on a piece from intensity
``x0`` to ``x1`` the row at ``x`` (a fraction ``t`` of the way) peaks at most
``m(x) ((1 - t) f(x0) + t f(x1))``, ``m`` its makeup.  A piece whose bound cannot beat what is
asked about (``floor``) is done; else it is split at its middle row, whose peak is measured
exactly, until the bound is within ``TOLERANCE_DB`` of the highest row measured (``strict``: that
only once a row is over the floor, else until the bound is under it; a piece of one or two rows is
measured row by row).  The answer is an
upper bound of the highest row peak (never under it), within the tolerance of it, found with a
few dozen mixes at most; and before any of them, the sum of the layers' own peaks times each
row's gains, block by block (their sample peaks times the most interpolation can add, and where
that is not enough their true peaks in the block), a looser bound, settles most variants.

Every gain the mixer plays lies between two rows (it ramps linearly from one to the next), so
by the same convexity no sample of a steady or ramping variant is louder than the highest row.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping

import numpy as np

from .level_windows import intensity_makeup
from .levels import MAX_INTERSAMPLE_GAIN, polyphase_taps, true_peak_dbtp
from .mixmath import LUT_STEPS, gain_table, layer_gains
from .project import Cue, Variant

TOLERANCE_DB = 0.1  # the bound is this close to the highest row peak measured
MAX_MIXES = 64  # per variant: then the bound stands as it is (still an upper bound)


def intensity_peaks_dbtp(cue: Cue, stems: Mapping[str, Mapping[str, np.ndarray]],
                         windows: Mapping[str, np.ndarray], floor_db: Mapping[str, float],
                         strict: bool = False) -> dict[str, float]:
    """Per variant with a floor, an upper bound (dBTP, before the variant's gain, as
    ``LevelMatch.true_peaks_dbtp``) of its highest true peak at any row of its intensity table
    with the makeup in, or its floor when no row can beat it.  ``windows``: the variants' local
    loudness tables with their matched gains in (``LevelMatch.windows``), which set the makeup.
    ``strict``: the floor is a ceiling to keep, so answer the floor itself unless some row is
    measured over it (more mixes when the highest row is just under the floor)."""
    layers = {v.name: [l for l in v.layers if l.name in stems.get(v.name, {})] for v in cue.variants}
    tables = [gain_table(v, layers[v.name]) for v in cue.variants]  # before the makeup
    fitting = [_fitting(windows.get(v.name), len(layers[v.name])) for v in cue.variants]
    # float32 tables, as the stem set the mixer reads computes the makeup from
    makeups = intensity_makeup([t.astype(np.float32) for t in tables], fitting,
                               [v.level_offset_lu for v in cue.variants])

    def one(v: Variant, u: np.ndarray, makeup: np.ndarray | None) -> float:
        audio = [_layer_audio(stems[v.name][l.name], l.gain_db, l.pan) for l in layers[v.name]]
        m = np.ones(LUT_STEPS + 1) if makeup is None else np.asarray(makeup, dtype=np.float64)
        peak = _highest_row(v, layers[v.name], u, audio, m, 10.0 ** (floor_db[v.name] / 20.0), strict)
        return 20.0 * math.log10(peak) if peak > 0 else -math.inf

    asked = [(v, u, mk) for v, u, mk in zip(cue.variants, tables, makeups) if v.name in floor_db and layers[v.name]]
    # the mixes and true peaks run outside the GIL: two variants at a time
    with ThreadPoolExecutor(2) as pool:
        return dict(zip([a[0].name for a in asked], pool.map(lambda a: one(*a), asked)))


def _fitting(table: np.ndarray | None, n: int) -> np.ndarray | None:
    return table if table is not None and table.ndim == 3 and table.shape[1:] == (n, n) else None


def _layer_audio(stem: np.ndarray, gain_db: float, pan: float) -> np.ndarray:
    """The layer at its fader and pan, (2, n) float64, as the stems the mixer reads hold it."""
    a = np.asarray(stem, dtype=np.float64)
    gl, gr = layer_gains(gain_db, pan)
    return np.stack([a[0] * gl, a[1] * gr])


PEAK_BLOCK = 1024  # samples per block of the layers' peaks the first bound adds up
MAX_HOT_BLOCKS = 64  # blocks whose layers' true peaks are measured one by one; more: over the whole cue


def _block_peaks(a: np.ndarray) -> np.ndarray:
    """(blocks, 2): each channel's largest |sample| over a block and its two neighbours, which
    hold every sample an interpolated value within the block is made of (the filter reaches 10)."""
    n = a.shape[1]
    blocks = -(-n // PEAK_BLOCK)
    pad = np.zeros((2, blocks * PEAK_BLOCK))
    np.abs(a, out=pad[:, :n])
    m = pad.reshape(2, blocks, PEAK_BLOCK).max(axis=2).T
    out = m.copy()
    out[1:] = np.maximum(out[1:], m[:-1])
    out[:-1] = np.maximum(out[:-1], m[1:])
    return out


def _block_true_peaks(audio: list[np.ndarray], block: int) -> np.ndarray:
    """(layers,): each layer's true peak (samples and 4x values, both channels) within ``block``
    of ``PEAK_BLOCK`` samples, as ``levels.true_peak_dbtp`` interpolates (zeros beyond the ends)."""
    taps = polyphase_taps(4)
    reach = taps.shape[0] // 2
    s, e = block * PEAK_BLOCK, min((block + 1) * PEAK_BLOCK, audio[0].shape[1])
    out = np.empty(len(audio))
    for i, a in enumerate(audio):
        seg = np.zeros((2, e - s + 2 * reach))
        lo, hi = max(0, s - reach), min(a.shape[1], e + reach)
        seg[:, lo - (s - reach):hi - (s - reach)] = a[:, lo:hi]
        views = np.lib.stride_tricks.sliding_window_view(seg, taps.shape[0], axis=1)  # (2, e - s, taps)
        out[i] = max(float(np.abs(views @ taps).max()), float(np.abs(a[:, s:e]).max()))
    return out


def _kinks(variant: Variant, layers: list) -> list[float]:
    """Intensities where some layer gain's slope changes (within [0, 1], ends included)."""
    lo, hi = variant.intensity
    xs = {0.0, 1.0, lo, hi}
    for l in layers:
        if l.fade > 0:
            xs.update((l.intensity[0] - l.fade, l.intensity[0], l.intensity[1], l.intensity[1] + l.fade))
        else:
            xs.update(l.intensity)
    return sorted(x for x in xs if 0.0 <= x <= 1.0)


def _highest_row(variant: Variant, layers: list, u: np.ndarray, audio: list[np.ndarray], makeup: np.ndarray,
                 floor: float, strict: bool) -> float:
    """The bound (linear) of the highest row peak above ``floor``, else ``floor``; ``u``: the
    variant's gain table before its makeup."""
    rows = makeup[:, None] * u
    # Settle it without a mix if the layers' own peaks cannot add up past the floor, block by
    # block: their sample peaks times the most any interpolated value can exceed them, and where
    # that is not enough, their true peaks in the block.
    blocks = np.stack([_block_peaks(a) for a in audio], axis=1)  # (blocks, layers, channels)
    bound = np.max([np.max(rows @ blocks[:, :, ch].T, axis=0) for ch in (0, 1)], axis=0) * MAX_INTERSAMPLE_GAIN
    hot = np.flatnonzero(bound > floor)
    if hot.size <= MAX_HOT_BLOCKS:
        if all(float(np.max(rows @ _block_true_peaks(audio, b))) <= floor for b in hot):
            return floor
    elif float(np.max(rows @ np.array([10.0 ** (true_peak_dbtp(a) / 20.0) for a in audio]))) <= floor:
        return floor  # (many blocks near the floor: the layers' true peaks over the whole cue)
    peaks: dict[tuple, float] = {}
    hard = np.array([l.fade <= 0 for l in layers])  # 0/1 gains, stepping at their edges

    def f(g: np.ndarray) -> float:  # the true peak at layer gains g, before the makeup
        key = tuple(g)
        if key not in peaks:
            mix = sum((g[i] * a for i, a in enumerate(audio) if g[i] != 0.0), np.zeros_like(audio[0]))
            peaks[key] = 10.0 ** (true_peak_dbtp(mix) / 20.0) if np.any(mix) else 0.0
        return peaks[key]

    def ends(x0: float, x1: float) -> tuple[np.ndarray, np.ndarray]:
        """The gains at the ends of the piece as its inside reaches them (a hard edge steps there)."""
        g = gain_table(variant, layers, np.array([x0, x1, 0.5 * (x0 + x1)]))
        g[:2, hard] = g[2, hard]
        return g[0], g[1]

    grid = np.arange(LUT_STEPS + 1) / LUT_STEPS  # the intensity of each row
    tol = 10.0 ** (TOLERANCE_DB / 20.0)
    best = 0.0  # the highest row peak measured exactly
    xs = _kinks(variant, layers)
    todo = list(zip(xs[:-1], xs[1:]))
    settled = floor
    while todo:
        x0, x1 = todo.pop()
        i0, i1 = np.searchsorted(grid, [x0, x1], side="left")
        inside = np.arange(i0, min(i1 + 1, grid.size))
        inside = inside[(grid[inside] >= x0) & (grid[inside] <= x1)]
        if not inside.size:
            continue
        t = (grid[inside] - x0) / (x1 - x0)
        g0, g1 = ends(x0, x1)
        bound = float(np.max(makeup[inside] * ((1.0 - t) * f(g0) + t * f(g1))))
        # ``strict``: within the tolerance only once some row is over the floor (under it, a bound a
        # little over the floor would lower the cue for nothing).
        if bound <= floor or (bound <= best * tol and (best > floor or not strict)) or len(peaks) >= MAX_MIXES:
            settled = max(settled, bound if bound > floor else floor)
            continue
        if inside.size <= 2:  # the rows themselves, exactly
            best = max(best, *(makeup[i] * f(u[i]) for i in inside))
            continue
        mid = int(inside[inside.size // 2])
        xm = float(grid[mid])
        best = max(best, makeup[mid] * f(u[mid]))
        todo += [(x0, xm), (xm, x1)]
    return max(settled, best)
