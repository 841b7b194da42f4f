"""Subcommand: ``coverage`` says how much of the viewers' time a cue's variants cover."""

from __future__ import annotations

import argparse
import math

from composer_assist.cli.cue_arg import cue_of
from composer_assist.cli.trace_cmd import add_trace_input, trace_input


def positive_radius(text: str) -> float:
    try:
        r = float(text)
    except ValueError:
        r = float("nan")
    if not (r > 0 and math.isfinite(r)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return r


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("coverage", help="how much of the viewers' time the cue's variants cover; where one is missing",
                       description="For each trace and overall: the share of time some variant's emotion target "
                                   "is within the radius of the trace (interpolated at the control rate, as the "
                                   "quality figures read it), where a new variant would cover the most of the "
                                   "rest, and optionally a PNG of the valence/arousal plane.")
    p.add_argument("project", help="project folder or project.json")
    p.add_argument("--cue", required=True, help="cue name")
    p.add_argument("traces", nargs="+", metavar="TRACE", help="emotion traces (CSV/JSON, studyforrest, PMEmo), or "
                   "folders of them (a studyforrest film with its music.tsv: its scored scenes)")
    add_trace_input(p, "traces' ")
    p.add_argument("--radius", type=positive_radius, default=None,
                   help="on-target distance (default: the cue's adaptive.congruence_radius)")
    p.add_argument("-o", "--output", metavar="PNG", help="write the valence/arousal picture here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from composer_assist.adaptive.coverage import compute_coverage, format_coverage
    from composer_assist.core.errors import ProjectError
    from composer_assist.core.project import load_project
    from composer_assist.services.trace_sets import collect_traces

    project = load_project(args.project)
    if args.output:
        from composer_assist.core.atomic import check_output_file

        check_output_file(args.output, ProjectError, "coverage PNG")  # before any work
    cue = cue_of(project, args)
    traces = collect_traces(args.traces, **trace_input(args))
    cov = compute_coverage(cue, traces, radius=args.radius)
    print(format_coverage(cov))
    if args.output:
        from composer_assist.figures.coverage import plot_coverage
        plot_coverage(cov, args.output)
        print(f"wrote {args.output}")
    return 0
