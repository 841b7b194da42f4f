"""Subcommand: ``play`` previews a cue adapting in real time (trace, OSC input or keys)."""

from __future__ import annotations

import argparse
import contextlib

from composer_assist.cli.cue_arg import cue_of
from composer_assist.cli.trace_cmd import add_trace_input, add_viewing_input, trace_input, viewing_input
from composer_assist.cli.render_cmd import block_frames, positive_int, positive_seconds


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "play", help="hear a cue adapt in real time to a trace, live OSC input or the keyboard",
        description="Render (or load cached) stems, then play the cue on an audio device while it adapts: "
                    "to an emotion trace (--trace), to live /emotion and /heart_rate OSC messages (--osc), "
                    "and to the keyboard. Keys: space pause/resume, left/right seek one bar, 1-9 the emotion "
                    "of variant 1-9 as a manual override, 0 release it, q quit. Ctrl-C stops cleanly.")
    p.add_argument("project", help="project folder or project.json")
    p.add_argument("--cue", required=True, help="cue name")
    p.add_argument("--trace", default=None, help="emotion trace to follow (CSV/JSON, studyforrest, PMEmo)")
    add_trace_input(p, "trace ")
    p.add_argument("--mode", choices=("live", "planned"), default=None,
                   help="live: only the past is known (default); planned: the whole trace is known ahead "
                        "(needs --trace)")
    p.add_argument("--start", default=None, metavar="SECONDS|BAR:BEAT", help="start here (e.g. 30 or 5:1)")
    p.add_argument("--device", default=None, help="output device name or number (see `devices`; default: the "
                                                  "settings' audio_device, else the system default)")
    p.add_argument("--null", action="store_true", help="no audio device: the same path paced in real time")
    p.add_argument("--block", type=block_frames, default=None,
                   help="frames per block (default: the settings' block_size, 512 unless changed)")
    p.add_argument("--latency", choices=("low", "high"), default="high",
                   help="device buffer: high (~43 ms, default, safe on a busy machine) or low (~21 ms)")
    p.add_argument("--duration", type=positive_seconds, default=None,
                   help="stop after this many seconds (default: the trace's end, or q)")
    p.add_argument("--profiles", default=None, help="listener cluster profiles JSON (from `learn`)")
    p.add_argument("--listener-cluster", default=None, help="cluster number or name in --profiles")
    p.add_argument("--osc", type=int, default=None, metavar="PORT",
                   help="listen for /emotion valence arousal [intensity] and /heart_rate bpm on this UDP port")
    p.add_argument("--no-calibrate", action="store_true",
                   help="follow the trace as read: do not map the viewer's baseline and range onto the cue's "
                        "emotion plane (on by default for --trace; see docs/adaptive.md)")
    add_viewing_input(p)
    p.add_argument("--jobs", type=positive_int, default=2, help="stem render worker processes (default 2)")
    p.add_argument("--no-cache", action="store_true", help="re-render every stem")
    p.set_defaults(func=run)


def parse_start(text: str | None) -> tuple[str, float, float] | None:
    """``"12.5"`` -> ("seconds", 12.5, 0); ``"5:2"`` -> ("bar", 5, 2); None stays None."""
    from composer_assist.core.errors import ProjectError

    if text is None:
        return None
    try:
        if ":" in text:
            bar, beat = text.split(":", 1)
            out = ("bar", float(int(bar)), float(beat))
            if out[1] < 1 or out[2] < 1:
                raise ValueError
            return out
        seconds = float(text)
        if not 0 <= seconds < float("inf"):
            raise ValueError
        return ("seconds", seconds, 0.0)
    except ValueError:
        raise ProjectError(f"--start {text!r}: give seconds (30) or bar:beat counted from 1 (5:1)") from None


def run(args: argparse.Namespace) -> int:
    from composer_assist.services.listeners import profile_from_file
    from composer_assist.cli.progress import progress_bar
    from composer_assist.core.errors import ProjectError
    from composer_assist.core.project import load_project
    from composer_assist.core.trace import load_trace
    from composer_assist.services.play import fade_out, open_output, start_player, until_end
    from composer_assist.services.settings import load_settings

    mode = args.mode or "live"
    if mode == "planned" and args.trace is None:
        raise ProjectError("--mode planned needs --trace (the whole curve is planned ahead)")
    start = parse_start(args.start)
    project = load_project(args.project)
    cue_of(project, args)
    trace = viewing_input(args, load_trace(args.trace, **trace_input(args)) if args.trace else None)
    profile = profile_from_file(args.profiles, args.listener_cluster)
    settings = load_settings()  # the device and block size chosen once (also the app's)
    args.block = args.block or settings.block_size
    if args.device is None and not args.null:
        args.device = settings.audio_device
    output = open_output(args.device, null=args.null, block=args.block, sample_rate=project.sample_rate,
                         latency=args.latency)  # a bad device fails before rendering
    with progress_bar(f"render {args.cue}", unit="stem") as progress:
        player = start_player(project, args.cue, trace, mode=mode, profile=profile, block=args.block,
                              start=start, jobs=args.jobs, use_cache=not args.no_cache, progress=progress,
                              calibrate=False if args.no_calibrate else None)
    keys = player.command_queue()
    end = _end_time(args.duration, trace, player)
    from composer_assist.cli.terminal import Screen

    # the OSC port first: a port in use is refused before anything sounds
    with _osc(args.osc, player) as osc, output.play(player), Screen(player, keys, trace, args, osc) as screen:
        try:
            while not screen.quit and (wait := until_end(player, end)) is not None:
                screen.poll(wait)
                if output.failed():
                    raise ProjectError(f"audio output stopped: {output.failed()}")
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the last status line still ends the log
            screen.final()
            raise
        screen.final()
        fade_out(player, keys, output)
    return 0


def _end_time(duration: float | None, trace, player) -> float | None:
    start = player.status.seconds
    if duration is not None:
        return start + duration
    if trace is not None:
        return float(trace.times[-1] - trace.times[0])
    return None


def _osc(port: int | None, player):
    if port is None:
        return contextlib.nullcontext()
    from composer_assist.services.osc import OscInput

    return OscInput(player.command_queue(), port)

