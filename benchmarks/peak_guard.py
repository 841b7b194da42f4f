"""What the transition's peak guard costs (playback/level_trim.py, core/peak_envelope.py).

    python benchmarks/peak_guard.py [--repeat 5]

4 variants x 4 layers at 48 kHz stereo, every layer of every variant the same hot noise (so every
crossfade adds two variants peaking together and the guard engages on each), one core:
- the mixer over 10 minutes with a crossfade every 4 s, with the guard and without it (the same
  stems with no envelopes), interleaved in one run: real-time factors and their ratio;
- one switch's trim and guard (``transition_gains``), in ms: the producer thread's extra work at a
  switch;
- laying the stem set out with its envelopes measured and without (a render's are measured once,
  then kept in the level cache);
- the highest sample with and without the guard, against the loudest any variant is alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as a device thread has

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from composer_assist.adaptive.synthetic import synthetic_cue  # noqa: E402
from composer_assist.core.level_match import match_levels  # noqa: E402
from composer_assist.core.peak_envelope import NO_ENVELOPES  # noqa: E402
from composer_assist.playback.level_trim import NO_TRIM, transition_gains  # noqa: E402
from composer_assist.playback.mixer import Mixer  # noqa: E402
from composer_assist.playback.stems import StemSet  # noqa: E402

SR = 48000
MINUTES = 10
EVERY_S = 4.0


def raw_stems():
    cue = synthetic_cue(n_variants=4, n_layers=4, bars=16)
    n = cue.length_samples(SR)
    noise = (0.05 * np.random.default_rng(0).standard_normal((2, n))).astype(np.float32)
    raw = {v.name: {l.name: noise for l in v.layers} for v in cue.variants}
    return cue, raw, match_levels(cue, SR, raw)


def stems(guard: bool, made=None) -> StemSet:
    cue, raw, levels = made or raw_stems()
    return StemSet.from_arrays(cue, SR, raw, levels=levels, peak_env=None if guard else NO_ENVELOPES)


def mix(s: StemSet) -> tuple[float, float]:
    """(real-time factor, highest sample) of MINUTES of music crossfading every EVERY_S."""
    m = Mixer(s)
    m.start(0, 0.7)
    m.load_events([Mixer.switch_event(int(k * EVERY_S * SR), k % 4, -1, 0, SR // 2, "equal_power")
                   for k in range(1, int(MINUTES * 60 / EVERY_S))])
    out = np.empty((512, 2), dtype=np.float32)
    frames, top = MINUTES * 60 * SR, 0.0
    t0 = time.perf_counter()
    for _ in range(0, frames, 512):
        m.process(out)
        top = max(top, float(out.max()), -float(out.min()))
    return frames / SR / (time.perf_counter() - t0), top


def fmt(xs: list[float], unit: str = "", nd: int = 0) -> str:
    return f"{min(xs):.{nd}f} / {statistics.median(xs):.{nd}f} / {max(xs):.{nd}f}{unit}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    made = raw_stems()
    build, build_bare = [], []
    for _ in range(args.repeat):  # side by side: the same stems laid out with and without envelopes
        t0 = time.perf_counter()
        guarded = stems(True, made)
        t1 = time.perf_counter()
        bare = stems(False, made)
        build.append(t1 - t0)
        build_bare.append(time.perf_counter() - t1)
    on, off, ratio = [], [], []
    for _ in range(args.repeat):
        (a, top_on), (b, top_off) = mix(guarded), mix(bare)
        on.append(a)
        off.append(b)
        ratio.append(a / b)
    trims = []
    for k in range(200):
        pos = (k * 997) % (8 * SR)
        t0 = time.perf_counter()
        tr = transition_gains(guarded, 10 * SR, SR // 2, (0, pos, 0), NO_TRIM, (1, pos, 0), 0.7, 0, 1.0)[0]
        trims.append((time.perf_counter() - t0) * 1000)
    print(f"4 variants x 4 layers, 48 kHz, one core; min / median / max of {args.repeat} runs")
    print(f"stem set laid out (16 bars, 32 s): with its peak envelopes measured {fmt(build, ' s', 2)}, "
          f"without {fmt(build_bare, ' s', 2)} (a render's are kept in the level cache after the first)")
    print(f"mixer, a crossfade every {EVERY_S:g} s over {MINUTES} min: guard {fmt(on, 'x')} real time, "
          f"none {fmt(off, 'x')}; guard / none {fmt(ratio, '', 3)}")
    print(f"one switch's trim and guard: {fmt(trims, ' ms', 2)} over 200 switches "
          f"(a guard of {len(tr.guard)} knots)")
    print(f"highest sample: guard {20 * np.log10(top_on):+.2f} dBFS, none {20 * np.log10(top_off):+.2f} dBFS; "
          f"the loudest any variant is alone {20 * np.log10(guarded.peak_top):+.2f} dBFS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
