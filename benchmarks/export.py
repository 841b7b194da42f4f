"""Package export speed: a 3-minute cue, 4 variants x 4 stems, 48 kHz stereo, level-matched and
normalised to -14 LUFS, encoded FLAC 24-bit + Ogg/Opus, checksummed, published.

Target: under 15 s on this 2-core machine.  The stems come already rendered (rendering is
benchmarks/render.py's business), in two kinds:

- music: the demo cue's own stems (its Faust instruments rendered by DawDreamer: four variants of
  four layers), each repeated to three minutes -- what a composer exports;
- noise: white noise on every stem, the worst case (FLAC cannot compress it, the level meters and
  Opus have no quiet passage to skip).

Run: python benchmarks/export.py [--stems music|noise|both] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems  # noqa: E402
from composer_assist.audio.cue_render import CueRender  # noqa: E402
from composer_assist.core.project import Project  # noqa: E402
from composer_assist.package.export import export_package  # noqa: E402

SR = 48000


def music_stems(cue) -> dict:
    """The demo's rendered stems (first four variants, first four layers), tiled to the cue's length."""
    from composer_assist.audio.render import render_cue
    from composer_assist.cli.demo_cmd import demo_project_dir
    from composer_assist.core.project import load_project

    demo = load_project(demo_project_dir())
    r = render_cue(demo, demo.cues[0].name)
    n = cue.length_samples(SR)
    out = {}
    for v, dv in zip(cue.variants, [v.name for v in demo.cues[0].variants]):
        layers = [np.asarray(r.stems[dv][name], dtype=np.float32) for name in list(r.stems[dv])[:4]]
        out[v.name] = {f"layer{j}": np.ascontiguousarray(np.tile(a, (1, -(-n // a.shape[1])))[:, :n])
                       for j, a in enumerate(layers)}
    return out


def run(kind: str, runs: int) -> None:
    cue = synthetic_cue(n_variants=4, n_layers=4, bpm=120.0, bars=90)  # 90 bars at 120 bpm = 3 minutes
    stems = music_stems(cue) if kind == "music" else synthetic_stems(cue, SR, kind="noise", amplitude=0.05)
    project = Project("bench", cues=[cue])
    times, parts, cpu = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            render = CueRender(cue, SR, cue.length_samples(SR), stems, {}, {}, [])  # levels measured each run
            t0, c0 = time.perf_counter(), os.times()
            r = export_package(project, cue.name, Path(tmp) / f"run{i}", web=True, render=render)
            times.append(time.perf_counter() - t0)
            c1 = os.times()
            cpu.append(sum(c1[:4]) - sum(c0[:4]))  # this process and any child processes
            parts.append(r.timings)
    print(f"{kind}: export min {min(times):.1f} s, median {statistics.median(times):.1f} s, "
          f"max {max(times):.1f} s (target < 15 s); {r.bytes / 1e6:.0f} MB")
    print(f"  CPU time per export (all threads): median {statistics.median(cpu):.1f} s, i.e. >= "
          f"{statistics.median(cpu) / (os.cpu_count() or 1):.1f} s on {os.cpu_count()} idle cores; "
          f"load average now {os.getloadavg()[0]:.1f}")
    best = parts[times.index(min(times))]
    print("  fastest run: " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in best.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stems", choices=("music", "noise", "both"), default="both")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print("a 3-minute cue, 4 variants x 4 stems, 48 kHz stereo: export FLAC + Opus, -14 LUFS")
    for kind in ("music", "noise") if args.stems == "both" else (args.stems,):
        run(kind, args.runs)


if __name__ == "__main__":
    main()
