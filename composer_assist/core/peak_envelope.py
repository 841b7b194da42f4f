"""Per block of a variant's cue positions, the highest |sample| it can play there at any intensity.

The mixer plays a variant's layers at a row of its gain table (``gain_table`` times the level
match over intensity, ``level_windows.intensity_makeup``), or ramping linearly between two rows.
``|sum_l g_l x_l|`` is convex in the gains ``g``, so no ramp is louder than its two rows, and
between two kinks of the layers' ramps (where no layer's gain changes slope or steps) every row is
``m(k) u(k)`` with ``u`` affine in the row, ``u(k) = (1 - t) u(a) + t u(b)``: no row there is
louder than ``m(k) ((1 - t) f(a) + t f(b))``, ``f`` the end rows' peaks before makeup.  The
envelope measures the end rows of every piece (the kinks) exactly, sample by sample, and keeps per block the largest of those bounds over every row: an
upper bound of every sample any intensity can give there, exact at the measured rows.

Positions in the loop's seam (the loop start with what rang on past the loop end laid over it,
``playback.stems``) take the louder of the body and the seam: either may be playing there.

The peak guard of a transition (``playback.level_trim``) reads them divided by the loudest block
of any variant (``normalised``): a crossfade, or a transition trim, may then raise the entering
variant only as far as keeps every sample under 1, the loudest any variant is alone.  Only ratios
matter, so the figures are the same for the stems at any gain (a package's delivery gain in), and
rounded up to ``1 / STEPS`` the Python mixer, the package runtime and the web player read the very
same numbers (the manifest carries them).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

ENVELOPE_S = 0.01  # block length: a guard moves at most this finely
CHUNK_BLOCKS = 16  # blocks mixed at a time: the chunk stays in cache
FLOAT_MARGIN = 1.0 + 1e-5  # the mixer's float32 gains and sums round a little either way
STEPS = 100000  # normalised envelopes are rounded up to 1 / STEPS (a manifest writes them exactly)


class PeakEnvelopes(NamedTuple):
    """Every variant's envelope (``normalised``), its block, the loudest block (full scale 1; None
    when not known, as a package's manifest does not say), and every stinger's (``one_shot``,
    over the same loudest block: a stinger louder than every variant goes over 1)."""

    block: int
    envelopes: list[np.ndarray]
    top: float | None = None
    stingers: Sequence[np.ndarray] = ()


NO_ENVELOPES = PeakEnvelopes(0, [])


def envelope_block(sample_rate: int) -> int:
    """Samples per envelope block at ``sample_rate``."""
    return max(64, int(round(ENVELOPE_S * sample_rate)))


def measured_rows(u: np.ndarray) -> np.ndarray:
    """Rows of the gain table ``u`` (rows, layers) to measure: both ends and every row where some
    layer's gain bends (a kink, or either side of a step)."""
    rows = u.shape[0]
    keep = {0, rows - 1}
    if rows >= 3:
        # a kink bends at one row; a step bends at the rows either side of it: both measured
        bend = np.abs(u[2:] - 2.0 * u[1:-1] + u[:-2]).max(axis=1) > 1e-9
        keep.update((np.flatnonzero(bend) + 1).tolist())
    return np.array(sorted(keep), dtype=np.int64)


def _block_maxima(frames: np.ndarray, gains: np.ndarray, offset: int, block: int, blocks: int) -> np.ndarray:
    """(blocks, columns): per envelope block, the largest |sample| of ``frames`` (2 * n interleaved
    rows, layers) mixed at each column of ``gains`` (layers, columns), the frames starting at cue
    position ``offset``."""
    out = np.zeros((blocks, gains.shape[1]))
    n = frames.shape[0] // 2
    g = gains.astype(np.float32)
    lead = offset % block  # frames before ``offset`` in its block: zeros in front
    first = offset // block
    if lead:
        frames = np.concatenate([np.zeros((2 * lead, frames.shape[1]), dtype=frames.dtype), frames])
        n += lead
    step = CHUNK_BLOCKS * block
    for s in range(0, n, step):
        e = min(n, s + step)
        mix = frames[2 * s:2 * e] @ g  # (2 * (e - s), columns), both channels of a block side by side
        full, rest = divmod(e - s, block)
        b0 = first + s // block
        if full:
            part = mix[:2 * full * block].reshape(full, 2 * block, -1)
            np.maximum(out[b0:b0 + full], np.maximum(part.max(axis=1), -part.min(axis=1)), out=out[b0:b0 + full])
        if rest:
            tail = mix[2 * full * block:]
            np.maximum(out[b0 + full], np.maximum(tail.max(axis=0), -tail.min(axis=0)), out=out[b0 + full])
    return out


def peak_envelope(stack: np.ndarray, seam: np.ndarray | None, loop_start: int, u: np.ndarray,
                  makeup: np.ndarray | None, block: int) -> np.ndarray:
    """(blocks,) float64: the bound of every |sample| the variant can play in each ``block`` of its
    cue positions (the module docstring).  ``stack``: (2 * length, layers) interleaved layer rows
    as the mixer reads them; ``seam``: the same for the seam from ``loop_start``; ``u``: the
    variant's gain table before makeup (rows, layers); ``makeup``: per row, or None (ones)."""
    length = stack.shape[0] // 2
    blocks = max(1, -(-length // block))
    rows = measured_rows(u)
    m = np.ones(u.shape[0]) if makeup is None else np.asarray(makeup, dtype=np.float64)
    gains = u[rows].T  # (layers, measured)
    f = _block_maxima(stack, gains, 0, block, blocks)
    if seam is not None and seam.shape[0]:
        np.maximum(f, _block_maxima(seam, gains, loop_start, block, blocks), out=f)
    if rows.size == 1:
        return f[:, 0] * float(m[rows[0]]) * FLOAT_MARGIN
    env = np.zeros(blocks)
    for i, (a, b) in enumerate(zip(rows[:-1].tolist(), rows[1:].tolist())):
        # row k = a + t (b - a) of the piece plays m(k) ((1 - t) u(a) + t u(b)): at most
        # m(k) (1 - t) f(a) + m(k) t f(b) in every block
        t = np.arange(b - a + 1) / (b - a)
        coef = np.stack([m[a:b + 1] * (1.0 - t), m[a:b + 1] * t], axis=1)  # (rows, 2)
        np.maximum(env, (coef @ f[:, i:i + 2].T).max(axis=0), out=env)
    return env * FLOAT_MARGIN


def one_shot(flat: np.ndarray, block: int) -> np.ndarray:
    """(blocks,) float64: a stinger's largest |sample| in each ``block`` from its start (``flat``:
    interleaved stereo, as the mixer reads it; it plays at one gain, so this is exact)."""
    a = np.abs(np.asarray(flat, dtype=np.float64)).reshape(-1, 2).max(axis=1)
    blocks = max(1, -(-a.size // block))
    pad = np.zeros(blocks * block)
    pad[:a.size] = a
    return pad.reshape(blocks, block).max(axis=1) * FLOAT_MARGIN


def normalised(envelopes: list[np.ndarray], stingers: list[np.ndarray] | None = None
               ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """(the loudest block of any envelope, every envelope divided by it and rounded up to
    ``1 / STEPS``, still a bound, and every stinger's the same way, not capped at 1); (0, the
    envelopes, the stingers') when all are silent."""
    stingers = stingers or []
    top = max((float(e.max()) for e in envelopes if e.size), default=0.0)
    if top <= 0.0:
        return 0.0, envelopes, stingers
    return (top, [np.minimum(np.ceil(e / top * STEPS), STEPS) / STEPS for e in envelopes],
            [np.ceil(e / top * STEPS) / STEPS for e in stingers])
