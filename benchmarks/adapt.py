"""Adaptive engine speed: mixer + policy over 4 variants x 4 layers, 48 kHz stereo, one core.

Targets: >= 1000x real time at the default 512-frame block; a 10-minute adaptive render
(policy, schedule and mix, stems already rendered) in under 1 s.  Run: python benchmarks/adapt.py
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as the target says
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from composer_assist.adaptive.engine import run_adaptive  # noqa: E402
from composer_assist.playback.mixer import Mixer  # noqa: E402
from composer_assist.playback.stems import StemSet  # noqa: E402
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems  # noqa: E402
from composer_assist.core.project import Project, TransitionRule  # noqa: E402
from composer_assist.core.trace import Trace  # noqa: E402
from composer_assist.core.trace import generate_trace as generate  # noqa: E402

SR = 48000
MINUTES = 10


def best_of(n, fn):
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    cue = synthetic_cue(n_variants=4, n_layers=4, bars=16, rule=TransitionRule(leave="bar", fade_beats=2.0))
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="noise"))
    project = Project("bench", cues=[cue])
    # A busy scene: the emotion jumps to a random corner every 6-15 s, plus the generator's
    # action curve for intensity detail, so the mixer crossfades often.
    base = generate("action_chase", duration=MINUTES * 60, seed=1)
    rng = np.random.default_rng(1)
    t = base.times
    jumps = np.cumsum(rng.uniform(6, 15, 100))
    corner = rng.integers(0, 4, jumps.size + 1)[np.searchsorted(jumps, t)]
    cv, ca = np.array([0.6, 0.7, -0.7, -0.6]), np.array([-0.6, 0.7, 0.7, -0.6])
    trace = Trace(t, np.clip(cv[corner] + 0.2 * base.valence, -1, 1), np.clip(ca[corner] + 0.2 * base.arousal, -1, 1),
                  name="busy_scene")
    print(f"4 variants x 4 layers, 48 kHz stereo, {MINUTES}-minute trace '{trace.name}' "
          f"({trace.times.size} samples), cue {cue.length_seconds():.0f} s looping")

    # Mixer alone on a realistic event stream (the schedule of the trace above).
    ref = run_adaptive(project, cue.name, trace, mode="live", render=stems)
    events = ref.schedule.events(stems)
    frames = ref.audio.shape[0]
    print(f"schedule: {len(ref.schedule.switches)} switches, {len(ref.schedule.intensity)} intensity targets")
    for block in (128, 256, 512, 1024, 2048):
        def mix():
            m = Mixer(stems, block=block)
            m.start(ref.schedule.start_variant, ref.schedule.start_intensity)
            m.load_events(events)
            m.render(frames)
        dt = best_of(3, mix)
        per_block = dt / (frames / block) * 1e6
        print(f"  mixer, block {block:5d}: {frames / SR / dt:7.0f}x real time ({per_block:5.1f} us per block)")

    # Steady state: no gain movement, one dot per block.
    m = Mixer(stems)
    m.start(0, 0.5)
    dt = best_of(3, lambda: m.render(frames))
    print(f"  mixer, block   512, steady gains: {frames / SR / dt:7.0f}x real time")

    for mode in ("live", "planned"):
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            r = run_adaptive(project, cue.name, trace, mode=mode, render=stems)
            runs.append((time.perf_counter() - t0, r.timings))
        total, t = min(runs, key=lambda x: x[1]["policy_s"] + x[1]["mix_s"])
        render = t["policy_s"] + t["mix_s"]
        print(f"{MINUTES}-min adaptive render, {mode:7s}: {render:.3f} s (policy+schedule {t['policy_s']:.3f} s, "
              f"mix {t['mix_s']:.3f} s) -> {frames / SR / render:.0f}x real time; with quality figures "
              f"(loudness of every transition, clicks, lag) {total:.3f} s")
    _ = np


if __name__ == "__main__":
    main()
