"""How much of live mode's shortfall is its reaction time: an ideal follower against the oracle.

For every trace `evaluate` reads (the studyforrest scenes, calibrated by the whole viewing, the
PMEmo songs and projects/traces), on the curve live mode sees (causal, calibrated), prints how
many traces stay under 90 % of the oracle (the best variant at every tick) for a follower that
plays the variant nearest the viewer ``d`` seconds ago, with nothing else holding it (no dwell,
no confirmation, no switch budget, no musical boundary, no crossfade), and the same count for the
live engine itself.  A player that leaves on a bar line and crossfades reacts on average half a
bar and half a fade late before it confirms anything (``quality.reaction_floor_s``: 1.875 s on
the demo cue; ``evaluate`` prints the count at that delay).

The decisions do not depend on the audio, so the cue is mixed from synthetic stems at a low rate.
Run: python benchmarks/live_reaction.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.evaluate import SETS  # noqa: E402
from composer_assist.adaptive.engine import run_adaptive  # noqa: E402
from composer_assist.adaptive.quality import follower_congruence, music_distance, reaction_floor_s  # noqa: E402
from composer_assist.adaptive.synthetic import synthetic_stems  # noqa: E402
from composer_assist.core.project import load_project  # noqa: E402
from composer_assist.playback.policy import PolicyConfig  # noqa: E402
from composer_assist.playback.stems import StemSet  # noqa: E402
from composer_assist.services.adapt import calibrate_default  # noqa: E402
from composer_assist.services.trace_sets import collect_traces  # noqa: E402

SR = 8000
DELAYS_S = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0)
SHARE = 0.9  # the target: the engine at >= 90 % of the oracle on every trace


def main() -> int:
    project = load_project(ROOT / "projects" / "demo")
    cue = project.cue("night_chase")
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    traces = collect_traces([str(p) for p in SETS])
    rate = float(cue.adaptive.control_rate)
    under = dict.fromkeys(DELAYS_S, 0)
    shares: dict[float, list[float]] = {d: [] for d in DELAYS_S}
    engine_under, lags = 0, []
    for trace in traces:
        config = PolicyConfig(calibrate=calibrate_default(trace, None))
        result = run_adaptive(project, cue.name, trace, mode="live", render=stems, config=config)
        distance = music_distance(cue, result.track)
        within = distance <= cue.adaptive.congruence_radius
        oracle = float(within.any(axis=1).mean())
        if oracle <= 0:
            continue
        for d in DELAYS_S:
            share = follower_congruence(distance, within, int(round(d * rate))) / oracle
            shares[d].append(share)
            under[d] += share < SHARE
        q = result.quality
        engine_under += q.congruence < SHARE * q.oracle_congruence
        if q.lag_mean is not None:
            lags.append(q.lag_mean)
    print(f"{len(traces)} traces, demo cue, live (causal, calibrated as evaluate calibrates)")
    print(f"{'follower reacting after':<26}{'traces under 90 % of the oracle':>34}{'median share':>14}")
    for d in DELAYS_S:
        print(f"{d:>5.1f} s{'':<20}{under[d]:>34}{np.median(shares[d]) * 100:>13.1f}%")
    print(f"half a bar and half the default crossfade on this cue: {reaction_floor_s(cue):.2f} s "
          f"(evaluate's info line)")
    print(f"live engine (confirmation, budget, bar lines, crossfades): {engine_under} under; "
          f"median lag {np.median(lags):.2f} s from a change to the end of its crossfade")
    return 0


if __name__ == "__main__":
    sys.exit(main())
