"""Reference runtime speed: a package of 4 variants x 4 stems played for a 10-minute busy trace,
block by block (policy, scheduler, mixer), on one core.  Target: >= 1000x real time per core.

Run: python benchmarks/runtime.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as the target says
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems  # noqa: E402
from composer_assist.audio.cue_render import CueRender  # noqa: E402
from composer_assist.core.project import Project, TransitionRule  # noqa: E402
from composer_assist.core.trace import Trace, generate_trace  # noqa: E402
from composer_assist.package.export import export_package  # noqa: E402
from composer_assist.runtime.package import open_package  # noqa: E402

SR = 48000
MINUTES = 10
RUNS = 5


def busy_trace() -> Trace:
    """The emotion jumps to a random corner every 6-15 s (as benchmarks/adapt.py), so the mixer crossfades often."""
    base = generate_trace("action_chase", duration=MINUTES * 60, seed=1)
    rng = np.random.default_rng(1)
    corner = rng.integers(0, 4, 101)[np.searchsorted(np.cumsum(rng.uniform(6, 15, 100)), base.times)]
    cv, ca = np.array([0.6, 0.7, -0.7, -0.6]), np.array([-0.6, 0.7, 0.7, -0.6])
    return Trace(base.times, np.clip(cv[corner] + 0.2 * base.valence, -1, 1),
                 np.clip(ca[corner] + 0.2 * base.arousal, -1, 1), name="busy_scene")


def main() -> None:
    cue = synthetic_cue(n_variants=4, n_layers=4, bars=16, rule=TransitionRule(leave="bar", fade_beats=2.0))
    render = CueRender(cue, SR, cue.length_samples(SR), synthetic_stems(cue, SR, kind="noise"), {}, {}, [])
    trace = busy_trace()
    with tempfile.TemporaryDirectory() as tmp:
        export_package(Project("bench", cues=[cue]), cue.name, f"{tmp}/pkg", render=render)
        t0 = time.perf_counter()
        pkg = open_package(f"{tmp}/pkg")
        load = time.perf_counter() - t0
    print(f"package of 4 variants x 4 stems ({cue.length_seconds():.0f} s cue) loaded in {load:.2f} s; "
          f"{MINUTES}-minute trace '{trace.name}'")
    for mode in ("live", "planned"):
        speeds = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            audio, player = pkg.render(trace, mode=mode, write=lambda b: None)
            speeds.append(MINUTES * 60 / (time.perf_counter() - t0))
        print(f"  {mode:7s}: min {min(speeds):6.0f}x, median {statistics.median(speeds):6.0f}x, "
              f"max {max(speeds):6.0f}x real time (target >= 1000x), {len(player.schedule.switches)} switches")
    # The same loop in the authoring engine, same stems and trace: how busy the machine is right now.
    from composer_assist.adaptive.engine import run_adaptive
    from composer_assist.playback.stems import StemSet

    stems = StemSet.from_render(render)
    mix = [MINUTES * 60 / run_adaptive(Project("bench", cues=[cue]), cue.name, trace, mode="live",
                                       render=stems).timings["mix_s"] for _ in range(3)]
    print(f"  (adapt's mix loop on the same stems now: median {statistics.median(mix):.0f}x real time; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
