"""Local loudness tables: what a player needs to know how loud any variant is at any moment, at
any intensity, without a loudness meter.

Level matching (``level_match``) sets each variant's integrated loudness at its nominal
intensity, but a transition lands at one moment and one intensity: there the two variants differ
by what their bars hold (one phrase swells where the other rests) and by which layers the
intensity lets in.  Measured over the demo cue's transitions on 80 real viewer traces, the two
parts are about equal (up to ~1.1 LU each).

EBU short-term loudness over a window with constant layer gains ``g`` is
``-0.691 + 10 log10(g^T C g)``, where ``C[l, m]`` is the mean over the window of the product of
layers ``l`` and ``m`` after K-weighting, summed over the two channels: K-weighting is linear, so
the K-weighted mix is the gain-weighted sum of the K-weighted layers.  So per variant and window
start (every ``HOP_S`` over the cue, windows running on through the loop wrap) the table holds
``C``, and a player computes the exact short-term loudness of any variant at any layer gains
there with a few multiplies (``playback.level_trim``).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .mixmath import layer_gains
from .project import Cue

HOP_S = 0.25  # window starts every HOP_S seconds of the cue
WINDOW_HOPS = 12  # window length in hops: 3 s, the EBU short-term window


def window_hop(sample_rate: int) -> int:
    return max(1, int(round(HOP_S * sample_rate)))


def _loop_samples(cue: Cue, sample_rate: int, length: int) -> tuple[int, int]:
    """The loop region in samples, as ``playback.clock.CueClock`` places it."""
    lo, hi = cue.loop_beats
    start = min(cue.tempo.sample_at(lo, sample_rate), length - 1)
    end = min(cue.tempo.sample_at(hi, sample_rate), length)
    return (start, end) if end > start else (start, length)


CHUNK_HOPS = 4  # hops K-weighted and multiplied at a time: the layers' chunk stays in cache


def variant_windows(cue: Cue, variant: str, sample_rate: int, stems: Mapping[str, np.ndarray],
                    gain: float = 1.0) -> np.ndarray:
    """(windows, layers, layers) float64: the K-weighted product means ``C`` of the variant's
    rendered layers (fader, pan and ``gain`` applied), one per window start ``j * hop`` up to the
    loop end, each over the next ``WINDOW_HOPS`` hops.

    In float32 (K-weighting and the per-hop products, one small matrix product per hop and
    channel), a few hops at a time with the filters' state carried over: a table is read to a few
    hundredths of a LU, and this is the longest step of an export's level measurement.
    """
    from scipy.signal import sosfilt

    from .levels import _k_sections

    v = cue.variant(variant)
    layers = [l for l in v.layers if l.name in stems]
    sources = [np.asarray(stems[l.name]) for l in layers]
    length = max((a.shape[-1] for a in sources), default=0)
    hop = window_hop(sample_rate)
    start, end = _loop_samples(cue, sample_rate, length)
    count = max(1, -(-end // hop))
    q_count = count + WINDOW_HOPS
    sos, k_gain = _k_sections(sample_rate)
    sos32 = sos.astype(np.float32)
    coefs = [np.array([[gl], [gr]], dtype=np.float32) * np.float32(k_gain)
             for gl, gr in (layer_gains(l.gain_db, l.pan) for l in layers)]
    state = [np.zeros((sos.shape[0], 2, 2), dtype=np.float32) for _ in layers]
    y = np.empty((2, len(layers), CHUNK_HOPS * hop), dtype=np.float32)  # per channel, the layers' rows
    pieces = np.empty((q_count, len(layers), len(layers)))
    for q0 in range(0, q_count, CHUNK_HOPS):
        hops = min(CHUNK_HOPS, q_count - q0)
        s, e = q0 * hop, (q0 + hops) * hop
        for i, a in enumerate(sources):
            x = _looped_chunk(a, start, end, s, e) * coefs[i]
            y[:, i, :e - s], state[i] = sosfilt(sos32, x, axis=-1, zi=state[i])
        for k in range(hops):
            block = y[:, :, k * hop:(k + 1) * hop]
            pieces[q0 + k] = block[0] @ block[0].T + block[1] @ block[1].T
    csum = np.concatenate([np.zeros((1,) + pieces.shape[1:]), np.cumsum(pieces, axis=0)], axis=0)
    idx = np.arange(count)
    return (csum[idx + WINDOW_HOPS] - csum[idx]) * (gain * gain / (WINDOW_HOPS * hop))


def _looped_chunk(a: np.ndarray, start: int, end: int, s: int, e: int) -> np.ndarray:
    """Samples ``s:e`` (2, e - s) of ``a`` read as a player reads it: the body up to the loop end,
    then the loop again; silence where the body is shorter than the loop end."""
    parts, pos = [], s
    while pos < e:
        if pos < end:
            stop = min(e, end)
            part = a[:, pos:min(stop, a.shape[-1])]
            parts.append(part)
            if part.shape[-1] < stop - pos:
                parts.append(np.zeros((2, stop - pos - part.shape[-1]), dtype=a.dtype))
        else:
            off = start + (pos - end) % (end - start)
            stop = min(e, pos + (end - off))
            parts.append(_looped_chunk(a, start, end, off, off + stop - pos))
        pos = stop
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def energy(c: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``g^T c g`` for layer gains ``g`` (layers,) or rows of them (rows, layers), summed in a
    fixed order (over ``m`` within ``l``), so the web player's loops give the same doubles."""
    g = np.asarray(g, dtype=np.float64)
    e = np.zeros(g.shape[:-1])
    for l in range(c.shape[0]):
        acc = np.zeros(g.shape[:-1])
        for m in range(c.shape[0]):
            acc = acc + c[l, m] * g[..., m]
        e = e + g[..., l] * acc
    return e


def intensity_makeup(luts: list[np.ndarray], tables: list[np.ndarray | None], offsets: list[float]
                     ) -> list[np.ndarray | None]:
    """Per variant, a gain per row of its intensity table (``playback.stems``) that puts it at
    the variants' common level at that intensity, plus its ``level_offset_lu``: level matching
    over the whole intensity range, not only at the nominal intensity.

    A variant's level at a row is its mean short-term energy over the cue, ``g^T C̄ g`` with
    ``C̄`` the mean of its ``variant_windows``; the common level is the median over variants (of
    odd count; of even count the geometric mean of the middle two), offsets taken out first.
    None for a variant without a table (or all, with fewer than two tables)."""
    energies: list[np.ndarray | None] = []
    for lut, tab, off in zip(luts, tables, offsets):
        if tab is None:
            energies.append(None)
            continue
        energies.append(energy(np.add.reduce(tab, axis=0) / tab.shape[0], lut) / 10.0 ** (off / 10.0))
    have = [e for e in energies if e is not None]
    if len(have) < 2:
        return [None] * len(luts)
    s = np.sort(np.stack(have), axis=0)
    n = len(have)
    target = s[n // 2] if n % 2 else np.sqrt(s[n // 2 - 1] * s[n // 2])
    out: list[np.ndarray | None] = []
    for e in energies:
        if e is None:
            out.append(None)
            continue
        ok = (e > 1e-20) & (target > 1e-20)
        out.append(np.where(ok, np.sqrt(np.where(ok, target, 1.0) / np.where(ok, e, 1.0)), 1.0))
    return out


def pack(table: np.ndarray, gain: float = 1.0) -> list[list[float]]:
    """A table as JSON rows, each window's upper triangle (row-major, ``l <= m``), times ``gain``^2
    (8 significant digits)."""
    iu = np.triu_indices(table.shape[1])
    return [[float(f"{x:.8g}") for x in w[iu] * gain * gain] for w in table]


def unpack(rows: list[list[float]], layers: int) -> np.ndarray:
    """``pack``'s rows back to a (windows, layers, layers) table (raises ValueError when malformed)."""
    a = np.asarray(rows, dtype=np.float64)
    iu = np.triu_indices(layers)
    if a.ndim != 2 or a.shape[1] != iu[0].size or not a.shape[0] or not np.all(np.isfinite(a)):
        raise ValueError(f"loudness windows: expected rows of {iu[0].size} numbers")
    out = np.zeros((a.shape[0], layers, layers))
    out[:, iu[0], iu[1]] = a
    out[:, iu[1], iu[0]] = a
    return out
