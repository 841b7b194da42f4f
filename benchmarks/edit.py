"""Benchmark: how long one validated edit takes (made, checked by reading the cue back, applied),
as when the app drags a variant on the emotion plane.

Target: well under the app's 50 ms event-loop budget, also in a long project.  Measured on the demo
project, and on the demo plus a second cue of many inline notes (the edit touches the first cue
only, so the long one is not read again).  Run: python benchmarks/edit.py [--notes N]
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

from composer_assist.core import edit
from composer_assist.core.project import Note, load_project

ROOT = Path(__file__).resolve().parents[1]


def per_edit(project, loc: edit.Loc, n: int = 200) -> float:
    t = time.perf_counter()
    for i in range(n):
        edit.set_field(project, loc, "emotion", (i / n, -0.2)).apply(project)
    return (time.perf_counter() - t) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=100_000, help="inline notes in the long cue")
    args = ap.parse_args()
    project = load_project(ROOT / "projects" / "demo")
    calm = edit.Loc("night_chase", "calm")
    print(f"demo project: {per_edit(project, calm):.2f} ms per emotion edit")
    long_cue = copy.deepcopy(project.cues[0])
    long_cue.name, long_cue.length_bars = "long", 4000
    clip = long_cue.variants[0].layers[0].clips[0]
    clip.file, clip.notes = None, [Note(i * 0.25, 0.25, 60 + i % 12, 90) for i in range(args.notes)]
    project.cues.append(long_cue)
    print(f"+ a cue of {args.notes} inline notes: {per_edit(project, calm):.2f} ms per emotion edit of the "
          f"other cue, {per_edit(project, edit.Loc('long', 'calm'), 5):.0f} ms of the long cue")


if __name__ == "__main__":
    main()
