"""Viewer calibration and anti-thrash on real traces, with the demo cue.

For every trace in projects/traces and in ../shared/realdata (studyforrest, PMEmo), live and
planned, prints the congruence of a calibrated run against the calibrated curve and against the
curve as read (raw, the same music), the congruence of an uncalibrated run, the oracle, switches
per minute and A -> B -> A returns (short: after a visit shorter than the dwell).  The decisions
do not depend on the audio, so the demo cue is mixed from synthetic stems at a low rate.

Run: PYTHONPATH=. python benchmarks/calibration.py [TRACE...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.synthetic import synthetic_stems
from composer_assist.core.project import load_project
from composer_assist.core.trace import load_trace
from composer_assist.playback.policy import PolicyConfig
from composer_assist.playback.stems import StemSet

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"
SR = 8000  # low, but the loudness meter of level matching needs it


def traces() -> list[Path]:
    files = sorted((ROOT / "projects" / "traces").glob("*.csv"))
    files += sorted((REALDATA / "studyforrest_emotions").glob("ioats_*.csv"))
    files += sorted((REALDATA / "pmemo_samples").glob("*.DERIVED.json"))
    return files


def main(paths: list[str]) -> None:
    project = load_project(ROOT / "projects" / "demo")
    cue = project.cue("night_chase")
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    print(f"cue {cue.name}, congruence radius {cue.adaptive.congruence_radius:g}")
    print(f"{'trace':34} {'mode':7} {'calibrated':>10} {'raw':>5} {'uncal run':>9} {'oracle':>6} "
          f"{'sw/min':>6} {'returns':>7} {'short':>5}")
    rises = {"live": [], "planned": []}
    for path in [Path(p) for p in paths] or traces():
        trace = load_trace(path)
        for mode in ("planned", "live"):
            cal = run_adaptive(project, cue.name, trace, mode=mode, render=stems, config=PolicyConfig(calibrate=True))
            plain = run_adaptive(project, cue.name, trace, mode=mode, render=stems)
            q = cal.quality
            rises[mode].append(q.congruence - q.raw_congruence)
            print(f"{path.name[:34]:34} {mode:7} {q.congruence:10.0%} {q.raw_congruence:5.0%} "
                  f"{plain.quality.congruence:9.0%} {q.oracle_congruence:6.0%} {q.switches_per_minute:6.2f} "
                  f"{q.returns:7d} {q.short_returns:5d}")
    for mode, d in rises.items():
        print(f"{mode}: calibrated - raw congruence: median {np.median(d):+.1%}, "
              f"rises on {sum(x > 0 for x in d)}, equal on {sum(x == 0 for x in d)}, falls on {sum(x < 0 for x in d)} "
              f"of {len(d)} traces")


if __name__ == "__main__":
    main(sys.argv[1:])
