"""Planned mode's variant choice over every real viewer trace, without rendering audio: the
optimal segmentation against the old greedy choice (congruence, engine / oracle, switches a
minute), and how long the whole 2-hour studyforrest film takes to schedule.

Run: python benchmarks/planned_choice.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.evaluate import SETS  # noqa: E402
from composer_assist.core.project.files import load_project  # noqa: E402
from composer_assist.core.trace.formats import load_trace  # noqa: E402
from composer_assist.adaptive.choice_figures import choice_figures, film_timing  # noqa: E402
from composer_assist.services.trace_sets import collect_traces  # noqa: E402


def main() -> int:
    cue = load_project(ROOT / "projects" / "demo").cue("night_chase")
    traces = collect_traces([str(p) for p in SETS])
    print(f"{'trace':<45} {'choice':<8} {'cong':>5} {'oracle':>6} {'eng/or':>6} {'sw/min':>6}")
    worst = {}
    for tr in traces:
        for choice in ("greedy", "optimal"):
            f = choice_figures(cue, tr, choice)
            print(f"{tr.name[:45]:<45} {choice:<8} {f['congruence']:5.0%} {f['oracle']:6.0%} {f['ratio']:6.0%} "
                  f"{f['per_minute']:6.2f}")
            w = worst.setdefault(choice, {"ratio": 1.0, "per_minute": 0.0, "under": 0, "cong": []})
            w["ratio"] = min(w["ratio"], f["ratio"])
            w["per_minute"] = max(w["per_minute"], f["per_minute"])
            w["under"] += f["ratio"] < 0.9
            w["cong"].append(f["congruence"])
    for choice, w in worst.items():
        cong = sorted(w["cong"])[len(w["cong"]) // 2]
        print(f"{choice}: median congruence {cong:.0%}, lowest engine/oracle {w['ratio']:.0%} "
              f"({w['under']} traces under 90%), highest switches/min {w['per_minute']:.2f}")
    film = load_trace(SETS[0] / "ioats_2s_av_allchar.csv")
    choice, seconds, ticks = film_timing(cue, film)
    print(f"the whole film ({ticks} ticks, {ticks / 36000:.2f} h at 10 Hz): segmentation {choice:.2f} s, "
          f"planned schedule {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
