"""Subcommand: ``adapt`` renders a cue's stems and adapts them to an emotion trace."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from composer_assist.playback.policy import DEFAULT_MODE, MODES
from composer_assist.cli.cue_arg import cue_of
from composer_assist.cli.trace_cmd import add_trace_input, add_viewing_input, trace_input, viewing_input
from composer_assist.cli.render_cmd import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("adapt", help="render the adaptive soundtrack of a cue for an emotion trace",
                       description="Render the cue's stems (cached), choose variants and layer intensity "
                                   "from the trace (live: causal; planned: the whole curve is known, so "
                                   "transitions complete when the scene turns), and write OUT/adaptive.wav, "
                                   "OUT/decisions.json and OUT/adaptive.png; print quality figures.")
    p.add_argument("project", help="project folder or project.json")
    p.add_argument("--cue", required=True, help="cue name")
    p.add_argument("--trace", required=True, help="emotion trace (CSV/JSON, studyforrest, PMEmo)")
    add_trace_input(p, "trace ")
    p.add_argument("--mode", choices=MODES, default=DEFAULT_MODE,
                   help=f"adaptive mode (default {DEFAULT_MODE}: the recorded curve is known ahead; live: "
                        "only the past is known, as for a viewer watching now)")
    p.add_argument("--profiles", default=None, help="listener cluster profiles JSON (from `learn`)")
    p.add_argument("--listener-cluster", default=None,
                   help="cluster in --profiles: its number or its profile name (e.g. suspense-lovers)")
    p.add_argument("--listener-model", default=None,
                   help="a listener preference model in the model store (from `learn fit`)")
    p.add_argument("--listener", default=None,
                   help="with --listener-model: follow this listener's cluster, assigned from their events "
                        "in --feedback (without --feedback: the population prior; an ID with no events in it "
                        "is refused)")
    p.add_argument("--feedback", default=None, help="feedback log holding --listener's events (CSV or JSONL)")
    p.add_argument("--store", default=None,
                   help="model store of --listener-model (default: PROJECT/models if the model is there, "
                        "else the user store, as for `learn`)")
    p.add_argument("--duration", type=float, default=None, help="seconds to render (default: the trace's length)")
    p.add_argument("--no-calibrate", action="store_true",
                   help="follow the trace as read: do not map the viewer's baseline and range onto the cue's "
                        "emotion plane (on by default; see docs/adaptive.md)")
    add_viewing_input(p)
    p.add_argument("--jobs", type=positive_int, default=2, help="stem render worker processes (default 2)")
    p.add_argument("--no-cache", action="store_true", help="re-render every stem")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also print the internal timings (stem render, policy, mix speed)")
    p.set_defaults(func=run)


def _listener_profile(args: argparse.Namespace):
    """The profile from --listener-model/--listener/--feedback, or from --profiles/--listener-cluster."""
    from composer_assist.services.listeners import listener_profile

    return listener_profile(args.project, profiles=args.profiles, cluster=args.listener_cluster,
                            model=args.listener_model, listener=args.listener, feedback=args.feedback,
                            store=args.store)


def run(args: argparse.Namespace) -> int:
    from composer_assist.adaptive.engine import format_quality
    from composer_assist.audio.render import render_cue
    from composer_assist.services.adapt import adapt
    from composer_assist.services.outputs import prepare_out_dir
    from composer_assist.cli.progress import progress_bar
    from composer_assist.cli.report import print_render_warnings
    from composer_assist.core.errors import TraceError
    from composer_assist.core.project import load_project
    from composer_assist.core.trace import load_trace
    from composer_assist.core.trace.model import MAX_RENDER_S

    project = load_project(args.project)
    cue_of(project, args)
    if args.duration is not None and not 0 < args.duration <= MAX_RENDER_S:
        raise TraceError(f"--duration must be a positive number of seconds up to {MAX_RENDER_S / 3600:g} h, "
                         f"got {args.duration:g}")
    # the inputs first (quick, and a bad one leaves no empty output folder), then -o, before the work
    trace = viewing_input(args, load_trace(args.trace, **trace_input(args)))
    span = float(trace.times[-1] - trace.times[0]) if len(trace.times) else 0.0
    if args.duration is not None and args.duration > span + 1e-6:
        print(f"note: the trace ends at {span:g} s; its last reading holds to --duration {args.duration:g} s",
              file=sys.stderr)
    profile = _listener_profile(args)
    out = prepare_out_dir(args.out)
    with progress_bar(f"render {args.cue}", unit="stem") as progress:
        render = render_cue(project, args.cue, jobs=args.jobs, use_cache=not args.no_cache, progress=progress)
    print_render_warnings([render])
    with progress_bar(f"adapt {args.cue}", unit="s") as progress:
        sr = render.sample_rate
        result = adapt(project, args.cue, trace, mode=args.mode, profile=profile, duration=args.duration,
                       out_dir=out, render=render, calibrate=not args.no_calibrate,
                       progress=lambda done, total: progress(done // sr, total // sr))
    t = result.timings
    who = ""
    if profile is not None:
        cluster = f"cluster {profile.cluster} {profile.name}" + (f" ({profile.label})" if profile.label else "")
        who = f", listener {cluster}" if args.listener is None else f", listener {args.listener}: {cluster}"
    print(f"cue {args.cue!r}, trace {Path(args.trace).name}, {args.mode} mode{who}")
    if args.verbose:
        print(f"stems {render.wall:.1f} s, policy {t['policy_s'] * 1000:.0f} ms, mix {t['mix_s'] * 1000:.0f} ms "
              f"({result.audio.shape[0] / result.sample_rate / max(t['mix_s'], 1e-9):.0f}x real time)")
    print(format_quality(result))
    print(f"wrote {out}/adaptive.wav, decisions.json, adaptive.png")
    return 0
