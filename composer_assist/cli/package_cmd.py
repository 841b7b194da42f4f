"""Subcommands: ``export`` writes a cue package; ``play-package`` plays one with the reference runtime."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from composer_assist.cli.cue_arg import cue_of
from composer_assist.cli.render_cmd import block_frames, positive_int, positive_seconds
from composer_assist.cli.trace_cmd import add_trace_input, trace_input


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("export", help="write a cue package (manifest, FLAC stems, profiles) for streaming",
                       description="Render (cached) and export one cue as a package: manifest.json (format, tempo "
                                   "map, variants and layers with intensity laws, loop and markers in samples, "
                                   "transition table, adaptive settings, loudness, SHA-256 per file), FLAC 24-bit "
                                   "stems at -14 LUFS delivery loudness, and listener profiles. See docs/packages.md.")
    e.add_argument("project", help="project folder or project.json")
    e.add_argument("--cue", required=True, help="cue name")
    e.add_argument("-o", "--out", required=True, help="package folder (or zip file with --zip)")
    e.add_argument("--zip", action="store_true", help="write OUT.zip instead of a folder")
    e.add_argument("--web", action="store_true", help="also Ogg/Opus 48 kHz stems and the web player (web/) for browsers")
    e.add_argument("--profiles", default=None, help="listener profiles and tables (`learn export-profiles` JSON)")
    e.add_argument("--listener-model", default=None, help="or a listener model in the store (`learn fit`)")
    e.add_argument("--store", default=None, help="model store of --listener-model")
    e.add_argument("--min-cluster-size", type=int, default=50, metavar="K",
                   help="ship only clusters of at least K listeners (default 50; smaller ones merged or dropped)")
    e.add_argument("--scene-curve", default=None, metavar="TRACE",
                   help="the title's scene emotion curve (authored, or from audience annotations), followed "
                        "when a viewer turns emotion sensing off (play-package --emotion scene)")
    e.add_argument("--jobs", type=positive_int, default=2, help="render and encoding workers (default 2)")
    e.add_argument("--no-cache", action="store_true", help="re-render every stem")
    e.set_defaults(func=run_export)

    p = sub.add_parser("play-package", help="play a cue package with the reference runtime (file or device)",
                       description="Load a package (every file checked), follow an emotion trace, optionally "
                                   "for a listener cluster (--cluster) or a listener assigned from their feedback "
                                   "(--feedback LOG --listener ID), and write OUT.wav or play on a device.")
    p.add_argument("package", help="package folder or zip")
    p.add_argument("--trace", default=None, help="the viewer's emotion trace (CSV/JSON, studyforrest, PMEmo)")
    p.add_argument("--emotion", choices=("sensed", "scene", "off"), default="sensed",
                   help="sensed: follow --trace (default); scene: sensing off, the package's scene curve planned "
                        "ahead with the viewer's cluster; off: the composer's default variant")
    p.add_argument("--osc", type=int, default=None, metavar="PORT",
                   help="with --device/--null: follow /emotion valence arousal [intensity] and /heart_rate bpm "
                        "OSC messages on this UDP port (over the trace, if any, until /release)")
    add_trace_input(p, "trace ")
    p.add_argument("--mode", choices=("live", "planned"), default=None,
                   help="adaptive mode (default: the package's, as `adapt`)")
    p.add_argument("--cluster", default=None, help="listener cluster: number or name")
    p.add_argument("--feedback", default=None, help="feedback log (CSV/JSONL) holding --listener's events")
    p.add_argument("--listener", default=None, help="with --feedback: the listener to assign")
    p.add_argument("--codec", choices=("flac", "opus"), default="flac", help="which stems to play (default flac)")
    p.add_argument("-o", "--out", default=None, help="write the soundtrack to this WAV (float32)")
    p.add_argument("--device", default=None, help="play on this output device (see `devices`)")
    p.add_argument("--null", action="store_true", help="no audio device: the same path paced in real time")
    p.add_argument("--duration", type=positive_seconds, default=None, help="seconds (default: the trace's)")
    p.add_argument("--block", type=block_frames, default=None,
                   help="frames per block (default: on a device or --null the settings' block_size, as `play`; "
                        "else 512; a file's samples do not depend on it)")
    p.add_argument("--decisions", default=None, metavar="FILE.json",
                   help="write the runtime's decisions for the trace (start, switches, intensity targets in "
                        "samples: the test vector the web player is checked against); alone, or with an output")
    p.set_defaults(func=run_play)


def _zip_path(out: str, zip_: bool) -> Path:
    p = Path(out)
    return p if not zip_ or p.suffix.lower() == ".zip" else p.with_name(p.name + ".zip")


def run_export(args: argparse.Namespace) -> int:
    from composer_assist.cli.progress import progress_bar
    from composer_assist.core.errors import ProjectError
    from composer_assist.core.project import load_project
    from composer_assist.package.export import default_web_player, export_package
    from composer_assist.services.package import listeners_json

    if not args.zip and str(args.out).lower().endswith(".zip"):
        raise ProjectError(f"{args.out}: a folder named like a zip file; add --zip for a zip package, "
                           f"or give the folder another name")
    project = load_project(args.project)
    cue_of(project, args)
    listeners = listeners_json(args.profiles, args.listener_model, args.store, args.project, args.min_cluster_size)
    scene = None
    if args.scene_curve is not None:
        from composer_assist.core.trace import load_trace

        scene = load_trace(args.scene_curve)
    out = _zip_path(args.out, args.zip)
    scene = None
    if args.scene_curve:
        from composer_assist.core.trace import load_trace

        scene = load_trace(args.scene_curve)
    with progress_bar(f"export {args.cue}", unit="stem") as progress:
        r = export_package(project, args.cue, out, zip=args.zip, web=args.web, listeners=listeners,
                           jobs=args.jobs, use_cache=not args.no_cache, progress=progress,
                           web_player=default_web_player() if args.web else None, scene_curve=scene)
    m, loud = r.manifest, r.manifest.loudness
    # as `validate` counts: the files the manifest lists (the manifest itself besides)
    print(f"wrote {out}: manifest and {len(m.files)} files, {r.bytes / 1e6:.1f} MB, {r.seconds:.1f} s "
          f"(cue {m.cue.name!r}, {len(m.variants)} variants, {sum(len(v.layers) for v in m.variants)} stems"
          f"{', Opus for the web' if args.web else ''}{', listener clusters ' + ', '.join(m.listeners.clusters) if m.listeners else ''})")
    print(f"loudness at nominal intensity {loud.cue_lufs} LUFS (target {loud.target_lufs:g}), true peak "
          f"{loud.true_peak_dbtp} dBTP (ceiling {loud.ceiling_dbtp:g}), delivery gain {loud.delivery_gain_db:+.2f} dB")
    if not loud.target_met:
        print(f"warning: {loud.note}")
    return 0


def run_play(args: argparse.Namespace) -> int:
    from composer_assist.core.errors import PackageError
    from composer_assist.core.trace import load_trace
    from composer_assist.runtime.package import open_package
    from composer_assist.services.package import listener_events, play_package_live, render_package_to_wav

    outputs = (args.out is not None) + (args.device is not None) + bool(args.null)
    if outputs > 1 or (outputs == 0 and args.decisions is None):
        raise PackageError("give one of -o OUT.wav, --device D or --null (or --decisions FILE.json)")
    if args.cluster is not None and args.feedback is not None:
        raise PackageError("give either --cluster or --feedback/--listener, not both")
    if (args.feedback is None) != (args.listener is None):
        raise PackageError("--feedback and --listener go together (whose events, in which log)")
    if args.emotion == "sensed" and args.trace is None and (
            args.osc is None or args.out is not None or args.decisions is not None):
        raise PackageError("--trace: the viewer's emotion trace is needed with --emotion sensed "
                           "(or, to play on --device/--null, --osc PORT)")
    from composer_assist.core.atomic import check_output_file

    for path, what in ((args.out, "output WAV"), (args.decisions, "decisions JSON")):
        if path is not None:
            check_output_file(path, PackageError, what)  # before any work
    if args.block is None:
        from composer_assist.services.settings import load_settings

        args.block = load_settings().block_size if (args.device is not None or args.null) else 512
    if args.emotion == "scene" and args.trace is not None:
        print("note: --emotion scene follows the package's scene curve; --trace is not used", file=sys.stderr)
    pkg = open_package(args.package, codec=args.codec)
    trace = load_trace(args.trace, **trace_input(args)) if args.trace is not None else None
    events = listener_events(args.feedback, args.listener) if args.feedback else None
    profile = pkg.profile(args.cluster, events, args.listener)
    trace, args.mode, profile = pkg.follow(args.emotion, trace, args.mode, profile, args.duration)
    who = f", listener cluster {profile.cluster} {profile.name}" if profile is not None else ""
    if args.decisions is not None:
        _write_decisions(pkg, trace, args, profile)
    if outputs == 0:
        return 0
    if args.out is not None:
        from composer_assist.cli.progress import progress_bar

        with progress_bar("play-package", unit="frames") as progress:
            path, player, mix_s = render_package_to_wav(pkg, trace, args.out, args.mode, profile, args.duration,
                                                        args.block, progress)
        seconds = pkg.frames_for(trace, args.duration) / pkg.sample_rate
        print(f"{pkg.cue.name!r} from {args.package} ({args.codec}){who}: {len(player.schedule.switches)} switches, "
              f"{seconds:.1f} s mixed in {mix_s:.2f} s ({seconds / max(mix_s, 1e-9):.0f}x real time) -> {path}")
        return 0
    end = pkg.frames_for(trace, args.duration) / pkg.sample_rate if trace is not None or args.duration else None
    player = pkg.player(trace, args.mode, profile, args.block, args.duration)
    play_package_live(pkg, player, args.device, args.null, args.block, end, args.osc)
    out = player.status.output
    dev = "" if out is None else f", underruns {out.underruns}"
    print(f"played {pkg.cue.name!r} from {args.package}{who}: {player.status.switches} switches{dev}")
    return 0


def _write_decisions(pkg, trace, args: argparse.Namespace, profile) -> None:
    from composer_assist.core.atomic import atomic_write_json
    from composer_assist.runtime.package import decisions_vector
    from composer_assist.runtime.scene import SCENE_CURVE_NAME

    vec = decisions_vector(pkg, trace, args.mode, profile, args.duration, args.block)
    # what was followed: the viewer's trace, the package's own scene curve, or nothing (off)
    followed = {"sensed": Path(args.trace).name if args.trace else None, "scene": SCENE_CURVE_NAME}.get(args.emotion)
    atomic_write_json(args.decisions, {"package_cue": pkg.cue.name, "emotion": args.emotion, "trace": followed,
                                       "mode": args.mode or pkg.mode, "block": args.block,
                                       "cluster": profile.cluster if profile is not None else None,
                                       "decisions": vec})
    print(f"wrote {len(vec)} decisions -> {args.decisions}")
