"""Subcommand: ``evaluate`` judges a cue and the engine over viewer traces against the targets."""

from __future__ import annotations

import argparse

from composer_assist.cli.coverage_cmd import positive_radius
from composer_assist.cli.cue_arg import cue_of
from composer_assist.cli.render_cmd import positive_int
from composer_assist.cli.trace_cmd import add_trace_input, trace_input


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="run live and planned on every trace; a table against the quality targets",
                       description="Adapt the cue live and planned to every trace (files or folders; a "
                                   "studyforrest film with its music.tsv beside it is cut into its scored "
                                   "scenes) and print one line per trace and mode, then the summary against "
                                   "the targets: median congruence, engine vs oracle, switches per minute "
                                   "(judged on the most in any 60 s), A->B->A returns, planned lead, "
                                   "loudness jumps, peak, click excess; then the engine against the "
                                   "constrained oracle (the best within the dwell, the cue's switch "
                                   "budget and the opening rule, as each mode keeps them), for information. "
                                   "See docs/adaptive.md.")
    p.add_argument("project", help="project folder or project.json")
    p.add_argument("--cue", required=True, help="cue name")
    p.add_argument("traces", nargs="+", metavar="TRACE_OR_FOLDER", help="emotion traces, or folders of them")
    add_trace_input(p, "traces' ")
    p.add_argument("--radius", type=positive_radius, default=None,
                   help="on-target distance for congruence (default: the cue's congruence_radius, as adapt and "
                        "coverage; the demo cue's is 0.5, the stated goal)")
    p.add_argument("--no-calibrate", action="store_true",
                   help="steer by the traces as read, without mapping each viewer's baseline and range onto "
                        "the cue's plane (calibration is on by default)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a target is not met")
    p.add_argument("-j", "--jobs", type=positive_int, default=2, help="stem render worker processes (default 2)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from composer_assist.adaptive.evaluation import format_table, summarise
    from composer_assist.cli.progress import progress_bar
    from composer_assist.core.project import load_project
    from composer_assist.services.evaluate import evaluate_cue
    from composer_assist.services.trace_sets import collect_traces

    project = load_project(args.project)
    traces = collect_traces(args.traces, **trace_input(args))
    radius = args.radius
    if radius is None:
        radius = cue_of(project, args).adaptive.congruence_radius
    with progress_bar("evaluate", unit="s") as progress:
        rows = evaluate_cue(project, args.cue, traces, radius=radius, jobs=args.jobs, progress=progress,
                            calibrate=False if args.no_calibrate else None)
    print(format_table(rows, radius))
    if args.strict and not all(ok for _, _, ok in summarise(rows)):
        return 1
    return 0
