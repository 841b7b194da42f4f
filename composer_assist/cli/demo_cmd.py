"""Subcommand: ``demo`` renders the demo project, adapts it to the sample traces and, when a
listener model is there, to two listener clusters."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from composer_assist.playback.policy import DEFAULT_MODE, MODES
from composer_assist.cli.render_cmd import positive_int
from composer_assist.core.plugins.paths import builtin_plugin_dir


def demo_project_dir() -> Path:
    return builtin_plugin_dir().parent / "projects" / "demo"


def traces_dir() -> Path:
    return builtin_plugin_dir().parent / "projects" / "traces"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="render the demo project and adapt it to the sample emotion traces",
                       description="Render projects/demo with the built-in Faust instruments (stems and a "
                                   "mixdown per variant), then render the adaptive soundtrack against each "
                                   "sample trace in projects/traces, and show how two listener clusters "
                                   "hear the same trace.")
    p.add_argument("-o", "--out", default="out/demo", help="output folder (default: out/demo)")
    p.add_argument("--project", default=None, help="project to use instead of projects/demo")
    p.add_argument("--jobs", type=positive_int, default=2, help="render worker processes (default 2)")
    p.add_argument("--no-cache", action="store_true", help="re-render every stem")
    p.add_argument("--mode", choices=MODES, default=DEFAULT_MODE, help=f"adaptive mode (default {DEFAULT_MODE})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from composer_assist.audio.render import render_cue, write_cue
    from composer_assist.cli.progress import progress_bar
    from composer_assist.services.outputs import prepare_out_dir
    from composer_assist.cli.report import print_render_table, print_render_warnings
    from composer_assist.core.project import load_project

    out = prepare_out_dir(Path(args.out))
    project = load_project(args.project or demo_project_dir())
    renders = []
    t0 = time.perf_counter()
    for cue in project.cues:
        with progress_bar(f"render {cue.name}", unit="stem") as progress:
            renders.append(render_cue(project, cue.name, jobs=args.jobs, use_cache=not args.no_cache,
                                      progress=progress))
    render_s = time.perf_counter() - t0
    files = [f for r in renders for f in write_cue(r, out / "stems")]
    stems = sum(len(r.stats) for r in renders)
    cached = sum(s.cached for r in renders for s in r.stats)
    print(f"\nRendered {stems} stems ({cached} from the cache) in {render_s:.1f} s; "
          f"wrote {len(files)} WAV files into {out / 'stems'}\n")
    print_render_table(renders)
    print_render_warnings(renders)

    traces = sorted(traces_dir().glob("*.csv"))
    from composer_assist.playback.stems import StemSet

    from composer_assist.services.adapt import FigurePool

    stems = StemSet.from_render(renders[0])  # built once, shared by every adaptive render below
    with FigurePool() as figures:  # drawn on the second core while the next trace adapts
        if traces:
            _adapt_demo(project, stems, traces, out / "adaptive", args.mode, figures)
        _listener_demo(project, stems, traces, out / "listeners", figures)
    print(f"\nAll output is in {out}/")
    return 0


def _adapt_demo(project, stems, traces: list[Path], out: Path, mode: str, figures) -> None:
    from composer_assist.cli.progress import progress_bar
    from composer_assist.core.trace import load_trace
    from composer_assist.services.adapt import adapt

    cue = stems.cue
    print(f"\nAdaptive soundtrack of cue {cue.name!r} against {len(traces)} sample traces ({mode} mode):")
    width = max(len(p.stem) for p in traces)
    header = f"{'trace':<{width}} {'length':>7} {'switches/min':>12} {'lag mean/max s':>15} {'congruence':>10} {'step/click':>13} {'LU step/heard':>13} {'peak dBFS':>9}"
    print(header)
    print("-" * len(header))
    for path in traces:
        trace = load_trace(path)
        sr = stems.sample_rate
        with progress_bar(f"adapt {path.stem}", unit="s") as progress:
            result = adapt(project, cue.name, trace, mode=mode, render=stems, out_dir=out / path.stem,
                           figures=figures, progress=lambda done, total: progress(done // sr, total // sr))
        q = result.quality
        lag = f"{q.lag_mean:.1f}/{q.lag_max:.1f}" if q.lag_mean is not None else "-"
        jump = (f"{q.max_level_step:.2f}" if q.max_level_step is not None else "-") + "/" + (
            f"{q.max_loudness_jump:.1f}" if q.max_loudness_jump is not None else "-")
        print(f"{path.stem:<{width}} {trace.duration:>6.0f}s {q.switches_per_minute:>12.1f} {lag:>15} "
              f"{q.congruence:>9.0%} {q.max_discontinuity:>6.3f}/{q.click_excess:.3f} {jump:>13} "
              f"{'-' if q.peak_dbfs is None else format(q.peak_dbfs, '+.1f'):>9}")
    print(f"congruence: share of the time the playing variant is within radius "
          f"{cue.adaptive.congruence_radius:g} of the viewer's (calibrated) emotion; "
          "step: largest sample step at a transition; click: how much of it the transition itself adds "
          "(output against the stems mixed at their intended gains); LU step: entering minus leaving variant "
          "over the same 3 s (the transition's own, target <= 1); heard: short-term after minus before "
          "(the music's own movement in); peak: the highest sample (over 0 dBFS a device clips)")
    print(f"(WAV, decision log and figure per trace in {out}/)")


def _listener_demo(project, stems, traces: list[Path], out: Path, figures) -> None:
    """Learn listener clusters from the project's feedback log, then render one trace for two of them."""
    log_path = project.folder / "listeners" / "feedback.csv"
    if not log_path.exists() or not traces:
        return
    from composer_assist.cli.progress import progress_bar
    from composer_assist.core.trace import load_trace
    from composer_assist.learn.feedback_log import load_feedback_log
    from composer_assist.services.adapt import adapt
    from composer_assist.learn.catalog import catalog_from_project
    from composer_assist.learn.model import ListenerPreferenceModel
    from composer_assist.learn.store import ModelStore

    cue = stems.cue
    log = load_feedback_log(log_path)
    model = ListenerPreferenceModel(catalog=catalog_from_project(project.path, cue.name), random_state=0)
    with progress_bar("learn listener clusters", unit="step") as progress:
        steps = [0]

        def step(_message: str) -> None:  # fit reports its stages in words; the bar counts them
            steps[0] += 1
            progress(steps[0], model.max_clusters + 3)

        model.fit(log, progress=step)
    saved = ModelStore(out / "models").save(model, "demo_listeners")
    print(f"\nListener clusters learned from {log_path.name} ({len(log)} events of {log.n_listeners} "
          f"SYNTHETIC listeners; model in {saved}):")
    for prof in model.profiles_:
        print(f"  cluster {prof.cluster}: {prof.label or 'unnamed'} ({prof.share:.0%})")

    trace_path = next((t for t in traces if "thriller" in t.stem), traces[0])
    trace = load_trace(trace_path)
    a, b = sorted(model.profiles_, key=lambda p: -p.size)[:2]
    print(f"One trace ({trace_path.stem}), the two largest clusters:")
    shares = {}
    for prof in (a, b):
        result = adapt(project, cue.name, trace, profile=prof, render=stems, out_dir=out / f"cluster{prof.cluster}",
                       figures=figures)
        shares[prof.cluster] = result.variant_shares()
        text = ", ".join(f"{v} {x:.0%}" for v, x in sorted(shares[prof.cluster].items(), key=lambda kv: -kv[1])
                         if x > 0)
        print(f"  cluster {prof.cluster} ({prof.label or 'unnamed'}): {text}")
    names = set(shares[a.cluster]) | set(shares[b.cluster])
    diff = sum(abs(shares[a.cluster].get(n, 0.0) - shares[b.cluster].get(n, 0.0)) for n in names) / 2
    print(f"  the two soundtracks differ in {diff:.0%} of the time (WAV and figure per cluster in {out}/)")
