"""Subcommand: ``show PROJECT [PATH]`` prints the project as a tree: cues, variants with their
emotion targets and tags, layers with their instruments, effects, parameters and clip lengths."""

from __future__ import annotations

import argparse

from composer_assist.core.emotion_span import arousal_span


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("show", help="print a project as a tree (emotion targets, instruments, clips)",
                       description="Print PROJECT (or the cue, variant or layer PATH names) as a tree: each "
                                   "variant's valence/arousal, tags and intensity range; each layer's "
                                   "instrument, effects, set parameters, gain, pan and clips with their length.")
    p.add_argument("project", help="project folder or project.json")
    p.add_argument("path", nargs="?", default=None, help="CUE, CUE/VARIANT or CUE/VARIANT/LAYER")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from composer_assist.core.edit import find, parse_loc
    from composer_assist.core.project import load_project

    project = load_project(args.project)
    loc = parse_loc(args.path) if args.path else None
    if loc is not None:
        find(project, loc)  # a one-line error naming the missing part
    print(f"{project.name} ({project.path}): {project.sample_rate} Hz, {len(project.cues)} "
          f"cue{'s' * (len(project.cues) != 1)}")
    for cue in project.cues:
        if loc is None or loc.cue == cue.name:
            _cue(cue, loc)
    return 0


def _cue(cue, loc) -> None:
    bpm = f"{cue.tempo.initial_bpm:g} BPM" + (f" ({len(cue.tempo.points) - 1} tempo changes)"
                                               if len(cue.tempo.points) > 1 else "")
    key = f", {cue.key}" if cue.key else ""
    loop = f", loop {cue.meter.span_text(*cue.loop)} (beats {cue.loop[0]:g}..{cue.loop[1]:g})" if cue.loop else ""
    print(f"{cue.name}: {bpm}, {cue.meter}{key}, {cue.length_bars} bars ({cue.length_seconds():.1f} s){loop}; "
          f"{len(cue.variants)} variants, {len(cue.transitions)} transition rules, {len(cue.stingers)} stingers")
    for v in cue.variants:
        if loc is None or loc.variant in (None, v.name):
            _variant(cue, v, loc)
    if loc is None or loc.variant is None:
        for r in cue.transitions:
            extra = f" every {r.bars} bars" if r.leave == "bars" else ""
            sting = f", stinger {r.stinger}" if r.stinger else ""
            print(f"  transition {r.source} -> {r.target}: leave {r.leave}{extra}, enter {r.enter}, "
                  f"fade {r.fade_beats:g} beats {r.curve}{sting}")


def _variant(cue, v, loc) -> None:
    tags = ",".join(v.tags) or "-"
    offset = f"  level {v.level_offset_lu:+g} LU" if v.level_offset_lu else ""
    lo, hi = arousal_span(v)
    arousal = f"arousal {v.arousal:+.2f}" + (f" (follows intensity: {lo:+.2f}..{hi:+.2f})" if lo != hi else "")
    print(f"  {v.name}: valence {v.valence:+.2f} {arousal}  tags {tags}  "
          f"intensity {v.intensity[0]:g}..{v.intensity[1]:g}{offset}")
    for layer in v.layers:
        if loc is None or loc.layer in (None, layer.name):
            _layer(cue, layer)


def _plugin(ref) -> str:
    params = ", ".join(f"{k}={v:g}" for k, v in ref.params.items())
    state = f" state {ref.state}" if ref.state else ""
    return ref.plugin + (f" [{params}]" if params else "") + state


def _layer(cue, layer) -> None:
    fx = " -> " + " -> ".join(_plugin(e) for e in layer.effects) if layer.effects else ""
    print(f"    {layer.name}: {_plugin(layer.instrument)}{fx}  gain {layer.gain_db:+g} dB  pan {layer.pan:+g}  "
          f"intensity {layer.intensity[0]:g}..{layer.intensity[1]:g}")
    for i, clip in enumerate(layer.clips):
        notes = clip.placed_notes()
        if notes:
            end = max(n.start + n.duration for n in notes)
            span = (f"{len(notes)} notes, beats {clip.start:g}..{end:g} "
                    f"({cue.tempo.seconds_at(end) - cue.tempo.seconds_at(clip.start):.2f} s), "
                    f"pitches {min(n.pitch for n in notes)}..{max(n.pitch for n in notes)}")
        else:
            span = "no notes"
        src = f" from {clip.file}" + (f" track {clip.track}" if clip.track is not None else "") if clip.file else ""
        print(f"      clip {i}: {span}{src}")
    if not layer.clips:
        print("      (no clips)")
