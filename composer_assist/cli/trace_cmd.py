"""Subcommands: trace info / convert / generate / plot (emotion traces, see docs/traces.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from composer_assist.cli.render_cmd import positive_hz

FORMATS = ("auto", "csv", "wide", "json", "studyforrest", "pmemo")
KIND_NAMES = ("thriller_buildup", "comedy_scene", "calm_to_sad", "action_chase")


def gap_seconds(text: str) -> float:
    """argparse type: seconds from 0 to the longest a trace may last (no -1, nan or inf)."""
    from composer_assist.core.errors import TraceError
    from composer_assist.core.trace.model import check_max_gap
    try:
        return check_max_gap(text, "")
    except TraceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_trace_input(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """The options that say how to read a trace file (shared by trace, adapt and play)."""
    p.add_argument("--scale", metavar="LO,HI",
                   help=f"valence/arousal scale of the {prefix}input: any range LO,HI (e.g. 0.5,9.5, mapped "
                        "linearly onto [-1,1]; a negative LO as --scale=-1,1) or signed, unit, sam [1,9]; "
                        "needed when the values alone are ambiguous")
    p.add_argument("--time-key", metavar="NAME",
                   help="the time column (CSV) or key (JSON) when it is not one of time, t, timestamp, "
                        "seconds, time_s, sec, ms, milliseconds, time_ms")
    p.add_argument("--item", metavar="NAME_OR_INDEX",
                   help="wide CSV (one row per item, one column per time step): the item's id, "
                        "or its 0-based row index")
    p.add_argument("--pair", metavar="FILE",
                   help="wide CSV given as one file per dimension: the other file (the file names "
                        "must say valence and arousal)")


def trace_input(args: argparse.Namespace) -> dict:
    """load_trace keyword arguments from the options of ``add_trace_input``."""
    return dict(scale=args.scale, time_key=args.time_key, item=args.item, pair=args.pair)


def add_viewing_input(p: argparse.ArgumentParser) -> None:
    """The options that calibrate a trace by a longer recording of the same viewer (adapt, play)."""
    p.add_argument("--calibrate-from", metavar="RECORDING",
                   help="a longer recording of the same viewer (read like --trace): calibration takes the "
                        "viewer's baseline and range from it (planned: all of it; live: what was watched "
                        "before the trace starts); see docs/adaptive.md")
    p.add_argument("--calibrate-at", metavar="SECONDS",
                   help="with --calibrate-from: where the trace starts in the recording, in the recording's "
                        "own seconds (default: its end, i.e. it was all watched before the trace)")


def viewing_input(args: argparse.Namespace, trace):
    """``trace`` with the recording of ``add_viewing_input`` attached (checked against the others)."""
    from composer_assist.core.errors import TraceError
    from composer_assist.services.trace_sets import with_recording

    if args.calibrate_from is None:
        if args.calibrate_at is not None:
            raise TraceError("--calibrate-at needs --calibrate-from (the recording it is a time in)")
        return trace
    if trace is None:
        raise TraceError("--calibrate-from needs --trace (the recording calibrates a trace's viewer)")
    if args.no_calibrate:
        raise TraceError("--calibrate-from calibrates the viewer; it cannot go with --no-calibrate")
    return with_recording(trace, args.calibrate_from, args.calibrate_at, **trace_input(args))


def _add_reading(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="auto",
                   help="input format (default: detect from the content)")
    add_trace_input(p)
    p.add_argument("--max-gap", type=gap_seconds, default=4.0, metavar="S",
                   help="interpolate missing values over gaps up to S seconds (default 4)")
    p.add_argument("--refuse-long-gaps", action="store_true",
                   help="fail on longer gaps instead of marking them invalid")


def register(sub: argparse._SubParsersAction) -> None:
    """Add `trace` and its subcommands."""
    tp = sub.add_parser("trace", help="emotion traces: inspect, convert, generate, plot",
                        description="Emotion traces (valence/arousal over time, optional heart "
                                    "rate, EDA and other channels).")
    ts = tp.add_subparsers(dest="trace_command", metavar="ACTION")
    tp.set_defaults(func=lambda args: (tp.print_help(), 1)[1])

    p = ts.add_parser("info", help="duration, sampling rate, channels, ranges and gaps")
    p.add_argument("file")
    _add_reading(p)
    p.set_defaults(func=cmd_info)

    p = ts.add_parser("convert", help="read any supported format, write our CSV")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, help="output CSV")
    _add_reading(p)
    p.add_argument("--start", type=float, help="keep from S seconds")
    p.add_argument("--end", type=float, help="keep up to S seconds")
    p.add_argument("--rebase", action="store_true", help="shift times so the output starts at 0")
    p.add_argument("--resample", type=positive_hz, metavar="HZ", help="resample to a uniform rate")
    p.add_argument("--smooth", type=float, metavar="TAU",
                   help="smooth with time constant TAU seconds (zero-phase; --causal for live)")
    p.add_argument("--causal", action="store_true", help="use the causal one-pole smoother")
    p.add_argument("--name", help="trace name stored in the file")
    p.set_defaults(func=cmd_convert)

    p = ts.add_parser("generate", help="a seeded synthetic scene trace",
                      description="Kinds: " + ", ".join(KIND_NAMES))
    p.add_argument("kind", choices=KIND_NAMES)
    p.add_argument("-o", "--output", required=True, help="output CSV")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--duration", type=float, metavar="S", help="seconds (default per kind)")
    p.set_defaults(func=cmd_generate)

    p = ts.add_parser("plot", help="PNG of valence, arousal, heart rate and EDA over time")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="output PNG")
    _add_reading(p)
    p.add_argument("--start", type=float)
    p.add_argument("--end", type=float)
    p.set_defaults(func=cmd_plot)


def _load(args: argparse.Namespace, path: str):
    from composer_assist.core.trace import load_trace
    return load_trace(path, format=args.format, **trace_input(args), max_gap_s=args.max_gap,
                      long_gaps="refuse" if args.refuse_long_gaps else "mark")


def _window(trace, args: argparse.Namespace):
    if args.start is None and args.end is None:
        return trace
    start = trace.start if args.start is None else args.start
    end = trace.end if args.end is None else args.end
    return trace.slice(start, end)


def cmd_info(args: argparse.Namespace) -> int:
    from composer_assist.core.trace.stats import describe
    trace = _load(args, args.file)
    print(describe(trace))
    return 0


def _check_output(path: str, what: str) -> None:
    """Refuse an output path that cannot be written (a folder, a device), before reading anything."""
    from composer_assist.core.atomic import check_output_file
    from composer_assist.core.errors import TraceError
    check_output_file(path, TraceError, what)


def cmd_convert(args: argparse.Namespace) -> int:
    from composer_assist.core.errors import TraceError
    from composer_assist.core.trace import save_trace
    if Path(args.output).resolve() == Path(args.input).resolve():
        raise TraceError(f"{args.output}: output would overwrite the input")
    _check_output(args.output, "output CSV")
    trace = _window(_load(args, args.input), args)
    # Record where the data came from by file name (not a machine-specific absolute path).
    trace.source = Path(args.input).name + (
        f" {trace.start:g}-{trace.end:g} s" if args.start is not None or args.end is not None else "")
    if args.rebase:
        trace = trace.shifted(-trace.start)
    if args.resample is not None:
        trace = trace.resample(args.resample)
    if args.smooth:
        trace = trace.smooth(args.smooth, causal=args.causal)
    if args.name:
        trace.name = args.name
    save_trace(trace, args.output)
    print(f"wrote {args.output}: {trace.times.size} samples, {trace.duration:.1f} s, "
          f"channels: {', '.join(['valence', 'arousal', *trace.channels])}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from composer_assist.core.trace import generate_trace, save_trace
    _check_output(args.output, "output CSV")
    trace = generate_trace(args.kind, duration=args.duration, seed=args.seed)
    save_trace(trace, args.output)
    print(f"wrote {args.output}: {args.kind}, seed {args.seed}, {trace.duration:.1f} s, "
          f"{trace.times.size} samples")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from composer_assist.figures.trace import plot_trace
    _check_output(args.output, "output PNG")
    trace = _window(_load(args, args.file), args)
    plot_trace(trace, args.output)
    print(f"wrote {args.output}")
    return 0
