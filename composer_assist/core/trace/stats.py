"""A human-readable summary of a trace: duration, sampling, channel ranges and gaps."""

from __future__ import annotations

import numpy as np

from .model import Trace


def sampling(trace: Trace) -> tuple[float, bool, float]:
    """(median rate in Hz, whether sampling is uniform within 1 %, largest step in s)."""
    if trace.times.size < 2:
        return 0.0, True, 0.0
    steps = np.diff(trace.times)
    med = float(np.median(steps))
    uniform = bool(np.all(np.abs(steps - med) <= 0.01 * med))
    return 1.0 / med, uniform, float(steps.max())


def invalid_spans(trace: Trace) -> list[tuple[float, float]]:
    """(start, end) seconds of each run of samples marked invalid."""
    if trace.valid is None:
        return []
    bad = ~trace.valid
    edges = np.diff(np.concatenate(([0], bad.astype(np.int8), [0])))
    return [(float(trace.times[s]), float(trace.times[e - 1]))
            for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


def describe(trace: Trace) -> str:
    rate, uniform, largest = sampling(trace)
    lines = [
        f"trace:     {trace.name or '(unnamed)'}",
        f"source:    {trace.source or '-'}",
        f"time:      {trace.start:g} .. {trace.end:g} s (duration {trace.duration:.1f} s, "
        f"{trace.times.size} samples)",
        f"sampling:  {rate:.4g} Hz median, " + ("uniform" if uniform else
                                                f"irregular (largest step {largest:g} s)"),
        "channels:  name                 min        mean       max",
    ]
    for name in ("valence", "arousal", *trace.channels):
        v = trace.series(name)
        lines.append(f"           {name:<18} {v.min():>9.3f}  {v.mean():>9.3f}  {v.max():>9.3f}")
    spans = invalid_spans(trace)
    if spans:
        total = sum(e - s for s, e in spans)
        shown = ", ".join(f"{s:g}-{e:g} s" for s, e in spans[:5]) + (" ..." if len(spans) > 5 else "")
        lines.append(f"gaps:      {len(spans)} long gap(s) marked invalid, {total:g} s in all: {shown}")
    else:
        lines.append("gaps:      none marked (short gaps, if any, were interpolated)")
    return "\n".join(lines)
