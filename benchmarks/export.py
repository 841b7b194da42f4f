"""Package export speed: a 3-minute cue, 4 variants x 4 stems, 48 kHz stereo, level-matched and
normalised to -14 LUFS, encoded FLAC 24-bit + Ogg/Opus, checksummed, published.

Target: under 15 s on this 2-core machine.  The stems come already rendered (noise, the hardest
case for FLAC; rendering is benchmarks/render.py's business).  Run: python benchmarks/export.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.audio.cue_render import CueRender
from composer_assist.core.project import Project
from composer_assist.package.export import export_package

SR = 48000
RUNS = 3


def main() -> None:
    cue = synthetic_cue(n_variants=4, n_layers=4, bpm=120.0, bars=90)  # 90 bars at 120 bpm = 3 minutes
    stems = synthetic_stems(cue, SR, kind="noise", amplitude=0.05)
    project = Project("bench", cues=[cue])
    seconds = cue.length_seconds()
    print(f"cue {seconds:.0f} s, 4 variants x 4 stems, 48 kHz stereo: export FLAC + Opus, -14 LUFS")
    times, parts, cpu = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            render = CueRender(cue, SR, cue.length_samples(SR), stems, {}, {}, [])  # levels measured each run
            t0, c0 = time.perf_counter(), os.times()
            r = export_package(project, cue.name, Path(tmp) / f"run{i}", web=True, render=render)
            times.append(time.perf_counter() - t0)
            c1 = os.times()
            cpu.append(sum(c1[:4]) - sum(c0[:4]))  # this process and its ffmpeg children
            parts.append(r.timings)
    print(f"export: min {min(times):.1f} s, median {statistics.median(times):.1f} s, max {max(times):.1f} s "
          f"(target < 15 s); {r.bytes / 1e6:.0f} MB")
    print(f"  CPU time per export (threads and ffmpeg processes): median {statistics.median(cpu):.1f} s, "
          f"i.e. >= {statistics.median(cpu) / (os.cpu_count() or 1):.1f} s on {os.cpu_count()} idle cores; "
          f"load average now {os.getloadavg()[0]:.1f}")
    best = parts[times.index(min(times))]
    print("  fastest run: " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in best.items()))


if __name__ == "__main__":
    main()
