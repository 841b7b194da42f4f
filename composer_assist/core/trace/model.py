"""Emotion traces: valence/arousal (and optional physiological channels) over time.

Internally a trace is seconds (float64, strictly increasing, irregular spacing allowed) plus
valence and arousal normalised to [-1, 1].  Other channels keep their own units ("heart_rate" in
bpm, "eda" in the source's normalised units).  Files are read in ``io`` and ``formats``, the demo
generator is ``generate``; the package's front door exports what callers need.  See docs/traces.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..errors import TraceError

if TYPE_CHECKING:
    from .viewing import ViewingContext

# A trace value may overshoot [-1, 1] by float rounding after rescaling; beyond this it is an error.
_RANGE_TOL = 1e-6

# What a trace may be.  A trace covers a film, a scene or a play session: hours, never weeks; a
# wearable's 100 Hz over 2.5 hours fits.  Readers check these before building arrays, so a file
# in the wrong unit (milliseconds under a seconds header) or a runaway file fails at once, saying
# by how much it is over.
MAX_TRACE_SECONDS = 24 * 3600.0  # from the first sample to the last
MAX_RENDER_S = 12 * 3600.0  # the longest soundtrack rendered: longer than any film, else a unit mistake
MAX_TRACE_SAMPLES = 1_000_000
MAX_TRACE_STEP_S = 3600.0  # between two consecutive samples


def check_extent(times: np.ndarray, where: str, label: Callable[[int], str] | None = None,
                 hint: str = "") -> None:
    """Refuse times over the limits above (too many, too long, or one step far too long)."""
    row = label or (lambda i: f"sample {i}")
    n = int(times.size)
    if n > MAX_TRACE_SAMPLES:
        raise TraceError(f"{where}: {n:,} samples is {n - MAX_TRACE_SAMPLES:,} more than the "
                         f"{MAX_TRACE_SAMPLES:,} a trace may have")
    if n < 2:
        return
    steps = np.diff(times)
    i = int(np.argmax(steps))
    if steps[i] > MAX_TRACE_STEP_S:
        raise TraceError(f"{where}: {row(i + 1)}: a step of {steps[i]:.6g} s from {times[i]:g} s "
                         f"({row(i)}) to {times[i + 1]:g} s is {steps[i] - MAX_TRACE_STEP_S:.6g} s longer "
                         f"than the {MAX_TRACE_STEP_S:g} s allowed between two samples{hint}")
    duration = float(times[-1] - times[0])
    if duration > MAX_TRACE_SECONDS:
        raise TraceError(f"{where}: the trace lasts {duration:.6g} s ({row(0)} at {times[0]:g} s to "
                         f"{row(n - 1)} at {times[-1]:g} s), {duration - MAX_TRACE_SECONDS:.6g} s longer than "
                         f"the {MAX_TRACE_SECONDS:g} s ({MAX_TRACE_SECONDS / 3600:g} h) a trace may last{hint}")


def check_max_gap(max_gap_s: float, what: str = "max_gap_s") -> float:
    """The longest gap to interpolate: a number of seconds from 0 to MAX_TRACE_SECONDS."""
    at = f"{what}: " if what else ""
    try:
        x = float(max_gap_s)
    except (TypeError, ValueError):
        raise TraceError(f"{at}expected a number of seconds, got {max_gap_s!r}"[:200]) from None
    if not (math.isfinite(x) and 0.0 <= x <= MAX_TRACE_SECONDS):
        raise TraceError(f"{at}{x:g} s is not a number of seconds from 0 to {MAX_TRACE_SECONDS:g}")
    return x


@dataclass(eq=False)   # arrays make field-wise == meaningless
class Trace:
    times: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray
    channels: dict[str, np.ndarray] = field(default_factory=dict)
    name: str = ""
    source: str = ""
    valid: np.ndarray | None = None
    # the longer recording of the same viewer this trace is part of (viewing.py; None: none known)
    viewing: ViewingContext | None = None

    def __post_init__(self) -> None:
        where = self.source or self.name or "trace"
        self.times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        n = self.times.size
        if n == 0:
            raise TraceError(f"{where}: the trace has no samples")
        if not np.all(np.isfinite(self.times)):
            raise TraceError(f"{where}: times must be finite numbers")
        steps = np.diff(self.times)
        if np.any(steps <= 0):
            i = int(np.argmax(steps <= 0)) + 1
            what = "duplicate" if steps[i - 1] == 0 else "decreasing"
            raise TraceError(f"{where}: sample {i}: {what} time {self.times[i]:g} s "
                             f"(previous {self.times[i - 1]:g} s); times must increase strictly")
        check_extent(self.times, where)
        self.valence = self._column("valence", self.valence, n, where, bounded=True)
        self.arousal = self._column("arousal", self.arousal, n, where, bounded=True)
        self.channels = {str(k): self._column(str(k), v, n, where) for k, v in self.channels.items()}
        if self.valid is not None:
            self.valid = np.asarray(self.valid, dtype=bool).reshape(-1)
            if self.valid.size != n:
                raise TraceError(f"{where}: valid mask has {self.valid.size} entries for {n} samples")

    @staticmethod
    def _column(name: str, values: np.ndarray, n: int, where: str, bounded: bool = False) -> np.ndarray:
        a = np.asarray(values, dtype=np.float64).reshape(-1)
        if a.size != n:
            raise TraceError(f"{where}: {name} has {a.size} samples, times has {n}")
        if not np.all(np.isfinite(a)):
            i = int(np.argmax(~np.isfinite(a)))
            raise TraceError(f"{where}: {name} sample {i} is not a finite number "
                             f"(fill missing values first with fill_gaps)")
        if bounded:
            if np.any(np.abs(a) > 1 + _RANGE_TOL):
                i = int(np.argmax(np.abs(a) > 1 + _RANGE_TOL))
                raise TraceError(f"{where}: {name} sample {i} = {a[i]:g} is outside [-1, 1]")
            a = np.clip(a, -1.0, 1.0)
        return a

    # ---- queries -------------------------------------------------------------------------
    @property
    def duration(self) -> float:
        return float(self.times[-1] - self.times[0])

    @property
    def start(self) -> float:
        return float(self.times[0])

    @property
    def end(self) -> float:
        return float(self.times[-1])

    def value_at(self, t: float) -> tuple[float, float]:
        """(valence, arousal) at ``t`` seconds, linearly interpolated, clamped at the ends."""
        return (float(np.interp(t, self.times, self.valence)),
                float(np.interp(t, self.times, self.arousal)))

    def channel_at(self, name: str, t: float) -> float:
        """A named channel (or "valence"/"arousal") at ``t``, interpolated and clamped."""
        return float(np.interp(t, self.times, self.series(name)))

    def series(self, name: str) -> np.ndarray:
        if name == "valence":
            return self.valence
        if name == "arousal":
            return self.arousal
        try:
            return self.channels[name]
        except KeyError:
            have = ", ".join(self.channels) or "none"
            raise TraceError(f"{self.source or self.name or 'trace'}: no channel {name!r} "
                             f"(channels: {have})") from None

    def is_valid_at(self, t: float) -> bool:
        """False inside a long gap that was marked on load (see ``valid``)."""
        if self.valid is None:
            return True
        n = self.times.size
        i = int(np.searchsorted(self.times, t, side="left"))
        if i < n and self.times[i] == t:
            return bool(self.valid[i])
        if i == 0 or i == n:
            return bool(self.valid[min(i, n - 1)])
        return bool(self.valid[i - 1] and self.valid[i])

    # ---- transforms (each returns a new Trace) ------------------------------------------
    def _with(self, times: np.ndarray, values: dict[str, np.ndarray],
              valid: np.ndarray | None) -> Trace:
        # the same time base: a first row moved by a slice is watched that much later
        viewing = None if self.viewing is None else self.viewing.moved(float(times[0] - self.times[0]))
        return Trace(times, values["valence"], values["arousal"],
                     {k: values[k] for k in self.channels}, name=self.name, source=self.source,
                     valid=valid, viewing=viewing)

    def _all(self) -> dict[str, np.ndarray]:
        return {"valence": self.valence, "arousal": self.arousal, **self.channels}

    def resample(self, rate_hz: float) -> Trace:
        """Uniform samples at ``rate_hz`` from the first time, by linear interpolation.

        A new sample is valid only if both original samples around it were valid.
        """
        if not (rate_hz > 0 and math.isfinite(rate_hz)):
            raise TraceError(f"resample rate must be a positive number of Hz, got {rate_hz}")
        exact = self.duration * rate_hz
        if exact + 1 > MAX_TRACE_SAMPLES:
            raise TraceError(f"{self.source or self.name or 'trace'}: resampling {self.duration:g} s at "
                             f"{rate_hz:g} Hz would make {exact + 1:,.0f} samples, {exact + 1 - MAX_TRACE_SAMPLES:,.0f} "
                             f"more than the {MAX_TRACE_SAMPLES:,} a trace may have")
        count = int(math.floor(exact + 1e-9)) + 1
        new_t = self.times[0] + np.arange(count, dtype=np.float64) / rate_hz
        values = {k: np.interp(new_t, self.times, v) for k, v in self._all().items()}
        valid = None
        if self.valid is not None:
            valid = np.interp(new_t, self.times, self.valid.astype(np.float64)) >= 1.0 - 1e-12
        return self._with(new_t, values, valid)

    def smooth(self, tau_s: float, causal: bool = True) -> Trace:
        """Low-pass every channel with time constant ``tau_s``.

        causal=True: one-pole (exponential moving average) suited to live use: each output uses
        only the present and past.  causal=False: the same filter run forward then backward
        (filtfilt): zero phase, no lag, for offline analysis and planned mode.
        """
        if not (tau_s >= 0 and math.isfinite(tau_s)):
            raise TraceError(f"smoothing time constant must be >= 0 s, got {tau_s}")
        if tau_s == 0 or self.times.size < 2:
            return self._with(self.times.copy(), {k: v.copy() for k, v in self._all().items()},
                              None if self.valid is None else self.valid.copy())
        alpha = 1.0 - np.exp(-np.diff(self.times) / tau_s)
        out = {}
        for k, v in self._all().items():
            y = ema(v, alpha)
            if not causal:
                y = ema(y[::-1], alpha[::-1])[::-1]
            out[k] = y
        return self._with(self.times.copy(), out, None if self.valid is None else self.valid.copy())

    def slice(self, start: float, end: float) -> Trace:
        """The part between ``start`` and ``end`` seconds (clamped to the trace), times unchanged.

        Samples exactly at ``start`` and ``end`` are interpolated in when the trace has none there.
        """
        lo, hi = max(float(start), self.start), min(float(end), self.end)
        if not hi > lo:
            raise TraceError(f"{self.source or self.name or 'trace'}: slice {start:g}..{end:g} s "
                             f"is empty (trace covers {self.start:g}..{self.end:g} s)")
        inner = (self.times > lo) & (self.times < hi)
        new_t = np.concatenate(([lo], self.times[inner], [hi]))
        values = {k: np.interp(new_t, self.times, v) for k, v in self._all().items()}
        valid = None
        if self.valid is not None:
            valid = np.interp(new_t, self.times, self.valid.astype(np.float64)) >= 1.0 - 1e-12
        return self._with(new_t, values, valid)

    def shifted(self, offset_s: float) -> Trace:
        """The same trace with ``offset_s`` added to every time (e.g. -start to begin at 0)."""
        return Trace(self.times + float(offset_s), self.valence.copy(), self.arousal.copy(),
                     {k: v.copy() for k, v in self.channels.items()}, name=self.name,
                     source=self.source, valid=None if self.valid is None else self.valid.copy(),
                     viewing=self.viewing)  # the same rows, watched at the same moments


def ema(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """One-pole filter y[i] = y[i-1] + alpha[i-1] * (x[i] - y[i-1]), starting at y[0] = x[0]."""
    x = np.asarray(x, dtype=np.float64)
    if x.size < 2:
        return x.copy()
    a0 = float(alpha[0])
    if np.ptp(alpha) <= 1e-9 * a0:
        # Uniform sampling (e.g. after resample): scipy's IIR filter, fast on long traces.
        from scipy.signal import lfilter
        y, _ = lfilter([a0], [1.0, a0 - 1.0], x, zi=[(1.0 - a0) * x[0]])
        return y
    y = np.empty_like(x)
    acc = float(x[0])
    y[0] = acc
    # Irregular steps need a per-sample coefficient, which no scipy filter takes.
    for i in range(1, x.size):
        acc += float(alpha[i - 1]) * (float(x[i]) - acc)
        y[i] = acc
    return y


def fill_gaps(times: np.ndarray, columns: dict[str, np.ndarray], max_gap_s: float = 4.0,
              long_gaps: str = "mark", where: str = "trace",
              label: Callable[[int], str] | None = None
              ) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Replace NaN runs in each column; return the filled columns and a validity mask.

    A run whose span (last good sample before it to first good sample after it) is at most
    ``max_gap_s`` is linearly interpolated.  Longer runs, and runs at either end of the trace
    (nothing to interpolate towards), are ``long_gaps="refuse"``: a TraceError naming the row, or
    ``"mark"``: held at the last good value (what a live player would do) and marked invalid.
    ``label(i)`` names sample i in messages (e.g. "line 12").  The mask is None when
    nothing was marked.
    """
    if long_gaps not in ("mark", "refuse"):
        raise ValueError(f"long_gaps must be 'mark' or 'refuse', not {long_gaps!r}")
    max_gap_s = check_max_gap(max_gap_s)
    times = np.asarray(times, dtype=np.float64)
    n = times.size
    valid = np.ones(n, dtype=bool)
    out: dict[str, np.ndarray] = {}

    row = label or (lambda i: f"sample {i}")

    for name, col in columns.items():
        v = np.asarray(col, dtype=np.float64).copy()
        bad = np.isnan(v)
        if bad.all():
            raise TraceError(f"{where}: column {name!r} has no values")
        if bad.any():
            good = np.flatnonzero(~bad)
            # Runs of NaN: start indices where bad begins, end indices (exclusive) where it stops.
            edges = np.diff(np.concatenate(([0], bad.astype(np.int8), [0])))
            for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
                before = a - 1 if a > 0 else None
                after = b if b < n else None
                span = (times[after] - times[before]) if before is not None and after is not None \
                    else math.inf
                if span <= max_gap_s + 1e-9:
                    v[a:b] = np.interp(times[a:b], times[good], v[good])
                    continue
                if long_gaps == "refuse":
                    what = (f"a gap of {span:g} s" if math.isfinite(span)
                            else "missing values at the " + ("start" if before is None else "end"))
                    raise TraceError(f"{where}: {row(a)}: {name}: {what} ({row(a)} to "
                                     f"{row(b - 1)}) is longer than the {max_gap_s:g} s that may "
                                     f"be interpolated (--max-gap)")
                v[a:b] = v[before] if before is not None else v[after]
                valid[a:b] = False
        out[name] = v
    return out, (None if valid.all() else valid)


HEART_RATE_BPM = (20.0, 250.0)  # what a heart rate in beats per minute can be; outside: another unit


def check_heart_rate(hr: np.ndarray, where: str, label: Callable[[int], str]) -> None:
    """A heart-rate channel read from a file holds beats per minute; the first reading outside
    ``HEART_RATE_BPM`` is named (an RR interval in ms or a raw sensor count read as a heart rate
    would steer arousal to an extreme with nothing said)."""
    lo, hi = HEART_RATE_BPM
    hr = np.asarray(hr, dtype=np.float64)
    bad = np.flatnonzero(np.isfinite(hr) & ((hr < lo) | (hr > hi)))
    if bad.size:
        i = int(bad[0])
        raise TraceError(f"{where}: {label(i)}: heart_rate {hr[i]:g} is not a heart rate in beats per minute "
                         f"({lo:g}..{hi:g}); {bad.size} reading{'s' * (bad.size != 1)} out of that range")


def heart_rate_to_arousal(hr: np.ndarray, times: np.ndarray, baseline_s: float = 30.0,
                          resting_hr: float | None = None, scale_bpm: float = 20.0) -> np.ndarray:
    """Arousal contribution of heart rate: clip((hr - baseline) / scale_bpm, -1, 1).

    The baseline is ``resting_hr`` when given, otherwise the median heart rate over the first
    ``baseline_s`` seconds (NaN ignored).  ``scale_bpm`` is the rise above baseline that counts as
    full arousal.
    """
    hr = np.asarray(hr, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if hr.shape != times.shape or hr.size == 0:
        raise TraceError(f"heart rate has {hr.size} samples but times has {times.size}")
    if not scale_bpm > 0:
        raise TraceError(f"heart-rate scale must be > 0 bpm, got {scale_bpm}")
    if resting_hr is None:
        window = hr[times <= times[0] + baseline_s]
        window = window[np.isfinite(window)]
        if window.size == 0:
            raise TraceError(f"no heart-rate values in the first {baseline_s:g} s to set a baseline "
                             f"(give a resting heart rate)")
        baseline = float(np.median(window))
    else:
        baseline = float(resting_hr)
    return np.clip((hr - baseline) / scale_bpm, -1.0, 1.0)


def blend_heart_rate(trace: Trace, weight: float = 0.3, baseline_s: float = 30.0,
                     resting_hr: float | None = None, scale_bpm: float = 20.0) -> Trace:
    """A copy whose arousal is (1 - weight) * arousal + weight * heart_rate_to_arousal(...)."""
    if not 0.0 <= weight <= 1.0:
        raise TraceError(f"heart-rate blend weight must be in [0, 1], got {weight}")
    hr_a = heart_rate_to_arousal(trace.series("heart_rate"), trace.times, baseline_s,
                                 resting_hr, scale_bpm)
    arousal = np.clip((1.0 - weight) * trace.arousal + weight * hr_a, -1.0, 1.0)
    return Trace(trace.times.copy(), trace.valence.copy(), arousal,
                 {k: v.copy() for k, v in trace.channels.items()}, name=trace.name,
                 source=trace.source, valid=None if trace.valid is None else trace.valid.copy())
