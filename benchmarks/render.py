"""Render speed: our renderer against a bare DawDreamer script, and the whole demo project.

    python benchmarks/render.py [--jobs 2] [--repeat 5]

1. A 60 s layer of 200 notes, amsynth_vst.so -> MVerb-vst.so, rendered by ``render_cue``
   (worker process, stem written and read back, no cache) and by a bare DawDreamer script in this
   process (same notes, sample rate and block size), runs interleaved.  Target: at most 10 %
   overhead over the bare script rendering the 60 s of notes (ours also produces the tail).
2. The demo project (projects/demo) rendered from scratch.  Target: under 10 s on 2 cores.
Uses a throw-away cache folder so nothing cached is measured by mistake.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SR, BLOCK = 48000, 512


def make_notes(n: int = 200, seconds: float = 60.0, bpm: float = 120.0) -> list:
    from composer_assist.core.project import Note

    rng = random.Random(7)
    beats = seconds * bpm / 60.0
    notes = []
    for i in range(n):
        start = i * (beats - 2.0) / n
        notes.append(Note(round(start, 4), round(rng.uniform(0.25, 1.5), 4), rng.randint(40, 76), rng.randint(60, 120)))
    return notes


def ours(notes, jobs: int) -> tuple[float, float, int]:
    """(wall seconds of render_cue, seconds of audio rendered, body samples)."""
    from composer_assist.audio.render import render_cue
    from composer_assist.core.project import Clip, Cue, Layer, PluginRef, Project, Variant
    from composer_assist.core.timing import TempoMap

    layer = Layer("synth", PluginRef("amsynth_vst.so"), [PluginRef("MVerb-vst.so")], clips=[Clip(0.0, notes)])
    cue = Cue("bench", TempoMap.constant(120), length_bars=30, variants=[Variant("v", layers=[layer])])
    project = Project("bench", SR, [cue])
    t0 = time.perf_counter()
    r = render_cue(project, "bench", jobs=jobs, use_cache=False)
    wall = time.perf_counter() - t0
    [s] = r.stats
    return wall, s.seconds, r.length


def bare(notes, seconds: float) -> float:
    """Wall seconds for a plain DawDreamer script doing the same render in this process."""
    import dawdreamer as daw
    import numpy as np

    t0 = time.perf_counter()
    engine = daw.RenderEngine(SR, BLOCK)
    synth = engine.make_plugin_processor("synth", "/usr/lib/vst/amsynth_vst.so")
    verb = engine.make_plugin_processor("verb", "/usr/lib/vst/MVerb-vst.so")
    for n in notes:
        start = n.start * 0.5
        synth.add_midi_note(n.pitch, n.velocity, start, n.duration * 0.5)
    engine.load_graph([(synth, []), (verb, ["synth"])])
    engine.render(seconds)
    audio = np.asarray(engine.get_audio(), dtype=np.float32)
    assert audio.shape[1] >= int(seconds * SR) - BLOCK
    return time.perf_counter() - t0


def demo(jobs: int) -> None:
    from composer_assist.audio.render import render_cue
    from composer_assist.core.errors import ComposerAssistError
    from composer_assist.core.project import load_project

    path = ROOT / "projects" / "demo" / "project.json"
    if not path.exists():
        print(f"demo project: {path} is not there yet; skipped")
        return
    try:
        project = load_project(path)
    except ComposerAssistError as exc:
        print(f"demo project: cannot load it ({exc}); skipped")
        return
    t0 = time.perf_counter()
    audio_s = stems = 0
    try:
        for cue in project.cues:
            r = render_cue(project, cue.name, jobs=jobs, use_cache=False)
            audio_s += sum(s.seconds for s in r.stats)
            stems += len(r.stats)
    except ComposerAssistError as exc:
        print(f"demo project: render failed: {exc}")
        return
    wall = time.perf_counter() - t0
    verdict = "OK" if wall < 10.0 else "over the 10 s target"
    print(f"demo project: {len(project.cues)} cues, {stems} stems, {audio_s:.0f} s of audio rendered in "
          f"{wall:.2f} s wall with {jobs} jobs ({audio_s / wall:.0f}x real time)  [{verdict}]")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    os.environ["COMPOSER_ASSIST_CACHE"] = tempfile.mkdtemp(prefix="ca-bench-")
    sys.stdout.reconfigure(line_buffering=True)
    notes = make_notes()

    t0 = time.perf_counter()
    cold, secs, length = ours(notes, args.jobs)  # starts the worker processes
    print(f"60 s / 200 notes, amsynth_vst.so -> MVerb-vst.so at {SR} Hz, block {BLOCK}:")
    print(f"  our renderer, cold (starts workers):   {cold:6.3f} s  ({secs / cold:5.0f}x real time)")
    # Interleaved, so a busy moment on the machine hits all three alike.
    ours_t, ours_s, bare_same, bare_body = [], [], [], []
    for _ in range(args.repeat):
        wall, rendered, _ = ours(notes, args.jobs)  # warm: the chain's measured tail is known now
        ours_t.append(wall)
        ours_s.append(rendered)
        bare_same.append(bare(notes, rendered))
        bare_body.append(bare(notes, length / SR))
    o, b1, b2 = statistics.median(ours_t), statistics.median(bare_body), statistics.median(bare_same)
    secs = statistics.median(ours_s)
    print(f"  our renderer, warm (median of {args.repeat}):     {o:6.3f} s  ({secs / o:5.0f}x real time; "
          f"renders {secs:.1f} s = 60 s body + the tail this chain measured + margin)")
    print(f"  bare DawDreamer, same {secs:.1f} s:         {b2:6.3f} s  ({secs / b2:5.0f}x real time)")
    print(f"  bare DawDreamer, 60 s body only:       {b1:6.3f} s  ({length / SR / b1:5.0f}x real time)")
    overhead = o / b1 - 1.0
    verdict = "OK" if overhead <= 0.10 else "over the 10 % target"
    print(f"  overhead over bare DawDreamer rendering the notes (body only): {overhead:+.1%}  [{verdict}]")
    print(f"  overhead over bare DawDreamer rendering the same length:       {o / b2 - 1.0:+.1%}")
    demo(args.jobs)
    print(f"total benchmark time {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
