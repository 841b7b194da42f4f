"""Subcommand: ``render PROJECT`` renders stems, tails and a mixdown per variant, with a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def block_frames(text: str) -> int:
    """argparse type: frames per audio block, in the range every output takes."""
    from composer_assist.audio.devices import MAX_BLOCK, MIN_BLOCK

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of frames, got {text!r}") from None
    if not MIN_BLOCK <= value <= MAX_BLOCK:
        raise argparse.ArgumentTypeError(f"{value} frames: use {MIN_BLOCK}..{MAX_BLOCK} (256 or 512 are usual)")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (worker counts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _positive_number(text: str, unit: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {unit} > 0, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number of {unit} > 0, got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds > 0 (timeouts)."""
    return _positive_number(text, "seconds")


def positive_hz(text: str) -> float:
    """argparse type: a finite rate in Hz > 0 (resampling)."""
    return _positive_number(text, "Hz")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render a project's cues to stems and mixdowns",
                       description="Render every layer of each variant (one stem each, plus tails past "
                                   "the cue end, stingers and a mixdown) in worker processes. Unchanged "
                                   "stems come from the cache. Writes OUT/<cue>/<variant>/<layer>.wav.")
    p.add_argument("project", help="project folder or project.json")
    p.add_argument("--cue", action="append", default=None, help="only this cue (repeatable)")
    p.add_argument("--variant", action="append", default=None, help="only this variant (repeatable)")
    p.add_argument("-o", "--out", default="out/render", help="output folder (default: out/render)")
    p.add_argument("--sample-rate", type=int, choices=(44100, 48000), default=None,
                   help="sample rate (default: the project's)")
    p.add_argument("--jobs", type=positive_int, default=2, help="worker processes (default 2)")
    p.add_argument("--timeout", type=positive_seconds, default=None,
                   help="seconds before a stem counts as hung (default: 60 + 3x its length)")
    p.add_argument("--no-cache", action="store_true", help="re-render every stem, ignoring the cache")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from composer_assist.audio.render import render_cue, write_cue
    from composer_assist.cli.progress import progress_bar
    from composer_assist.cli.report import print_render_table, print_render_warnings
    from composer_assist.core.project import load_project
    from composer_assist.services.outputs import prepare_out_dir
    from composer_assist.services.render import plan_render

    project = load_project(args.project)
    plan = plan_render(project, args.cue, args.variant, Path(args.out))
    out = prepare_out_dir(Path(args.out))
    renders, files = [], []
    for name, variants in plan:
        with progress_bar(f"render {name}", unit="stem") as progress:
            r = render_cue(project, name, variants, args.sample_rate, jobs=args.jobs,
                           use_cache=not args.no_cache, progress=progress, keep_going=True,
                           timeout=args.timeout)
        renders.append(r)
        files += write_cue(r, out)
    print_render_table(renders)
    errors = [f"cue {r.cue.name!r} {e}" for r in renders for e in r.errors]
    cached = sum(s.cached for r in renders for s in r.stats)
    total = sum(len(r.stats) for r in renders)
    print(f"\nwrote {len(files)} files to {args.out}/ ({cached} of {total} stems from the cache)")
    print_render_warnings(renders)
    for r in renders:
        if len(r.stems) < len(r.cue.variants):  # --variant: the level reference is theirs alone
            print(f"note: cue {r.cue.name!r}: levels matched among the variants rendered here "
                  f"({', '.join(r.stems)}); a render of the whole cue matches all of them, as adapt and export do")
    for e in errors:  # the table only names the failed layers: the reasons are printed here, once
        print(f"error: {e}", file=sys.stderr)
    return 2 if errors else 0
