"""Playback speed: the producer's time per block, the mixer against a bare numpy floor, reaction
time to an emotion change, and `adapt`'s memory and time on long traces.

    python benchmarks/playback.py [--repeat 5] [--long 10,60,120]

4 variants x 4 layers of noise stems at 48 kHz stereo.  Goals (real-time playback issue):
- producer (policy ticks + mix + status) p99 under 50 % of the block period, GC on;
- mixer at 512 frames >= 1000x real time and within 1.5x of one np.dot per block into a
  preallocated buffer, timed side by side (interleaved) in the same run;
- emotion change to transition start: the next legal boundary plus at most one block;
- adapt of a 2-hour trace under 600 MB peak RSS, time growing linearly with length.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core for the mix, as a device thread has

import numpy as np  # noqa: E402

from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems  # noqa: E402
from composer_assist.core.project import AdaptiveSettings, TransitionRule  # noqa: E402
from composer_assist.core.trace import Trace, generate_trace  # noqa: E402
from composer_assist.playback import commands as C  # noqa: E402
from composer_assist.playback.mixer import Mixer  # noqa: E402
from composer_assist.playback.player import Player  # noqa: E402
from composer_assist.playback.stems import StemSet  # noqa: E402

SR = 48000


def setup(dwell: float = 2.0, bars: int = 16):
    cue = synthetic_cue(n_variants=4, n_layers=4, bars=bars, rule=TransitionRule(leave="bar", fade_beats=2.0),
                        adaptive=AdaptiveSettings(dwell_bars=dwell))
    return cue, StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="noise"))


def busy_trace(minutes: float, seed: int = 1) -> Trace:
    """The emotion jumps to a random corner every 6-15 s over an action curve: many crossfades."""
    base = generate_trace("action_chase", duration=minutes * 60, seed=seed)
    rng = np.random.default_rng(seed)
    t = base.times
    jumps = np.cumsum(rng.uniform(6, 15, int(minutes * 10) + 2))
    corner = rng.integers(0, 4, jumps.size + 1)[np.searchsorted(jumps, t)]
    cv, ca = np.array([0.6, 0.7, -0.7, -0.6]), np.array([-0.6, 0.7, 0.7, -0.6])
    return Trace(t, np.clip(cv[corner] + 0.2 * base.valence, -1, 1), np.clip(ca[corner] + 0.2 * base.arousal, -1, 1),
                 name="busy_scene")


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(xs, p))


def producer(stems, trace, block: int, seconds: float = 60.0) -> list[float]:
    """Seconds per render_block of a live player (ticks, mix, status), GC on, after 1 s of warm-up."""
    player = Player(stems, mode="live", trace=trace, block=block)
    out = np.empty((block, 2), np.float32)
    for _ in range(SR // block):
        player.render_block(out)
    times = []
    gc.enable()
    for _ in range(int(seconds * SR / block)):
        t0 = time.perf_counter()
        player.render_block(out)
        times.append(time.perf_counter() - t0)
    return times


def mixer_vs_floor(stems, schedule, frames: int, repeat: int) -> dict[str, list[float]]:
    """Interleaved runs of: the mixer holding one variant at rest (steady), the mixer on a real
    event stream (busy: crossfades, intensity ramps, loop wraps), and one np.dot per block (floor)."""
    events = schedule.events(stems)
    stack, gains = stems.stacks[0], np.full(stems.stacks[0].shape[1], 0.5, np.float32)
    out = np.empty((512, 2), np.float32)
    flat = out.reshape(-1)
    rows = stack.shape[0] // 2
    times: dict[str, list[float]] = {"steady": [], "busy": [], "floor": []}
    for _ in range(repeat):
        for kind in ("steady", "busy"):
            m = Mixer(stems, block=512)
            m.start(schedule.start_variant, schedule.start_intensity)
            if kind == "busy":
                m.load_events(events)
            t0 = time.perf_counter()
            for i in range(0, frames - 511, 512):
                m.process(out)
            times[kind].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        pos = 0
        for i in range(0, frames - 511, 512):
            if pos + 512 > rows:
                pos = 0
            np.dot(stack[2 * pos:2 * pos + 1024], gains, out=flat)
            pos += 512
        times["floor"].append(time.perf_counter() - t0)
    return times


def reaction(stems, cue, block: int, trials: int = 20) -> list[float]:
    """Blocks between the legal boundary after an override's tick and the switch (0 = on it)."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(trials):
        player = Player(stems, mode="live", block=block)
        q = player.command_queue()
        buf = np.empty((block, 2), np.float32)
        for _ in range(int(rng.uniform(1, 5) * SR / block)):
            player.render_block(buf)
        playing = player.status.variant
        target = next(v for v in cue.variants if v.name != playing)
        posted = player.mixer.t
        q.post(C.emotion(target.valence, target.arousal))
        while not player.schedule.switches or cue.variants[player.schedule.switches[-1].target].name != target.name:
            player.render_block(buf)
        sw = player.schedule.switches[-1]
        # The earliest legal boundary for an override posted at `posted`: the next bar line at or
        # after the block in which it is drained, after the dwell of the current variant.
        bar = int(round(cue.meter.beats_per_bar * 60.0 / cue.tempo.initial_bpm * SR))
        earliest = -(-posted // bar) * bar
        out.append((sw.sample - earliest) / block)
    return out


def long_adapt(minutes: float) -> dict:
    code = f"""
import json, sys, tempfile, time
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
from playback import busy_trace, setup
from composer_assist.core.project import Project
from composer_assist.services.adapt import adapt
cue, stems = setup(bars=8)
trace = busy_trace({minutes})
def hwm():
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's peak across exec).
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
rss0 = hwm()
t0 = time.perf_counter()
with tempfile.TemporaryDirectory() as out:
    r = adapt(Project("bench", cues=[cue]), cue.name, trace, mode="live", render=stems, out_dir=out)
wall = time.perf_counter() - t0
print(json.dumps({{"wall": wall, "rss_mb": hwm(),
                  "before_mb": rss0, "switches": r.quality.switches}}))
"""
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--long", default="10,60,120", help="trace lengths in minutes for the adapt figures")
    args = ap.parse_args()
    cue, stems = setup()
    trace = busy_trace(10)
    print("4 variants x 4 layers, 48 kHz stereo, noise stems, a busy 10-minute trace")

    for block in (128, 256, 512):
        period = block / SR
        t = producer(stems, trace, block)
        print(f"producer, block {block:4d} ({period * 1e3:5.2f} ms): p50 {pct(t, 50) * 1e6:6.1f} us, "
              f"p99 {pct(t, 99) * 1e6:6.1f} us ({pct(t, 99) / period:5.1%} of the period), "
              f"max {max(t) * 1e6:7.1f} us  [goal p99 < 50 %]")

    player = Player(stems, mode="live", trace=trace, block=512, publish_status=False)
    frames = int(120 * SR)
    buf = np.empty((512, 2), np.float32)
    for i in range(0, frames, 512):
        player.render_block(buf)
    times = mixer_vs_floor(stems, player.schedule, frames, args.repeat)
    for kind in ("steady", "busy"):
        ratios = [a / b for a, b in zip(times[kind], times["floor"])]
        speed = [frames / SR / x for x in times[kind]]
        what = "one variant at rest" if kind == "steady" else f"{len(player.schedule.switches)} switches in 120 s"
        print(f"mixer, 512 frames, {what}: {min(speed):.0f} / {statistics.median(speed):.0f} / {max(speed):.0f}x "
              f"real time (min/median/max of {args.repeat}); against one np.dot per block, side by side: "
              f"{min(ratios):.2f} / {statistics.median(ratios):.2f} / {max(ratios):.2f}x  [goals >= 1000x, <= 1.5x]")

    fast_cue, fast_stems = setup(dwell=0.0)
    for block in (128, 512):
        r = reaction(fast_stems, fast_cue, block)
        print(f"override to transition start, block {block}: {min(r):.2f} / {statistics.median(r):.2f} / "
              f"{max(r):.2f} blocks after the next legal bar line  [goal <= 1 block]")

    for minutes in [float(x) for x in args.long.split(",") if x]:
        res = long_adapt(minutes)
        print(f"adapt, {minutes:5.0f}-minute trace: {res['wall']:6.1f} s wall ({minutes * 60 / res['wall']:.0f}x "
              f"real time), peak RSS {res['rss_mb']:.0f} MB ({res['before_mb']:.0f} MB with the stems loaded, "
              f"before adapting), {res['switches']} switches  [goal 2 h < 600 MB]")


if __name__ == "__main__":
    main()
