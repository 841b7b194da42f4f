"""Subcommands: ``clip import|move|trim|transpose|rm`` edit a layer's clips; ``transition`` sets or
removes a rule of a cue's transition table; ``marker`` sets or removes a cue's marker.  Same order
as every edit: project, then path."""

from __future__ import annotations

import argparse

from composer_assist.cli.edit_cmd import apply_edit, loc_at, num

LAYER = "CUE/VARIANT/LAYER"


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("clip", help="import, move, trim, transpose or remove a layer's clip")
    acts = c.add_subparsers(dest="clip_action", metavar="ACTION")
    specs = {
        "import": ("add a MIDI file's notes as a clip (stored inline; import-midi copies the file)",
                   [("midi", "the .mid file")], True),
        "move": ("place clip INDEX at BEAT", [("index", "clip number (show lists them)"), ("beat", "beats")], False),
        "trim": ("keep the notes of clip INDEX that start in [BEGIN, END) beats of the clip",
                 [("index", "clip number"), ("begin", "beats"), ("end", "beats")], False),
        "transpose": ("move every note of clip INDEX by SEMITONES",
                      [("index", "clip number"), ("semitones", "e.g. -12 or 7")], False),
        "rm": ("remove clip INDEX", [("index", "clip number")], False),
    }
    for name, (help_text, positionals, is_import) in specs.items():
        a = acts.add_parser(name, help=help_text, description=help_text)
        a.add_argument("project", help="project folder or project.json")
        a.add_argument("path", metavar=LAYER)
        for arg, h in positionals:
            a.add_argument(arg, help=h)
        if is_import:
            a.add_argument("--start", default="0", help="beat of the clip start (default 0)")
            a.add_argument("--track", default=None, help="only this track (0-based)")
        a.set_defaults(func=run_clip)
    c.set_defaults(func=lambda args: (c.print_help(), 1)[1])
    _register_transition(sub)
    m = sub.add_parser("marker", help="set (add or move) or remove a cue's marker",
                       description="Put marker NAME at BEAT of CUE (transition rules may leave or enter at it); "
                                   "--remove deletes it (refused while a rule uses it).")
    m.add_argument("project", help="project folder or project.json")
    m.add_argument("cue")
    m.add_argument("name")
    m.add_argument("beat", nargs="?", default=None, help="beats from the cue start")
    m.add_argument("--remove", action="store_true", help="remove the marker instead")
    m.set_defaults(func=run_marker)


def _register_transition(sub: argparse._SubParsersAction) -> None:
    from composer_assist.core.project import ENTER_MODES, FADE_CURVES, LEAVE_MODES

    t = sub.add_parser("transition", help="set or remove a cue's transition rule FROM -> TO ('*' is any)",
                       description="Add the rule for FROM -> TO, or change the fields given of the rule there "
                                   "is; --remove deletes it. '*' (quoted in a shell) means any variant.")
    t.add_argument("project", help="project folder or project.json")
    t.add_argument("cue", help="the cue whose rule this is")
    t.add_argument("source", metavar="FROM", help="variant name or '*'")
    t.add_argument("target", metavar="TO", help="variant name or '*'")
    t.add_argument("--leave", choices=LEAVE_MODES, default=None,
                   help="where the music leaves: at once, the next beat, bar, every N bars, a marker, the loop end")
    t.add_argument("--bars", default=None, help="with --leave bars: every this many bars")
    t.add_argument("--leave-marker", default=None, help="with --leave marker: this marker (default: the next one)")
    t.add_argument("--enter", choices=ENTER_MODES, default=None,
                   help="where the new variant enters: the same position, its start, or a marker")
    t.add_argument("--enter-marker", default=None, help="with --enter marker: the marker to enter at")
    t.add_argument("--fade-beats", default=None, help="crossfade length in beats (0: a cut)")
    t.add_argument("--curve", choices=FADE_CURVES, default=None, help="crossfade shape")
    t.add_argument("--stinger", default=None, help="a stinger of the cue to strike at the switch")
    t.add_argument("--remove", action="store_true", help="remove the rule instead")
    t.set_defaults(func=run_transition)


def _index(text: str) -> int:
    from composer_assist.core.edit import EditError

    try:
        return int(text)
    except ValueError:
        raise EditError(f"INDEX: expected a clip number (0, 1, ...), got {text!r}") from None


def run_clip(args: argparse.Namespace) -> int:
    from composer_assist.core import edit

    loc = loc_at(args.path, "layer")
    act = args.clip_action
    if act == "import":
        start = num("--start", args.start)
        track = None if args.track is None else _index(args.track)
        return apply_edit(args, lambda p: edit.import_clip(p, loc, args.midi, start, track))
    i = _index(args.index)
    if act == "move":
        beat = num("BEAT", args.beat)
        return apply_edit(args, lambda p: edit.move_clip(p, loc, i, beat))
    if act == "trim":
        begin, end = num("BEGIN", args.begin), num("END", args.end)
        return apply_edit(args, lambda p: edit.trim_clip(p, loc, i, begin, end))
    if act == "transpose":
        semis = num("SEMITONES", args.semitones)
        if semis != int(semis):
            raise edit.EditError(f"SEMITONES: expected a whole number, got {args.semitones!r}")
        return apply_edit(args, lambda p: edit.transpose_clip(p, loc, i, int(semis)))
    return apply_edit(args, lambda p: edit.remove_clip(p, loc, i))


def run_transition(args: argparse.Namespace) -> int:
    from composer_assist.core import edit

    if args.remove:
        return apply_edit(args, lambda p: edit.remove_rule(p, args.cue, args.source, args.target))
    values: dict = {k: getattr(args, k) for k in ("leave", "leave_marker", "enter", "enter_marker", "curve",
                                                    "stinger") if getattr(args, k) is not None}
    if args.bars is not None:
        bars = num("--bars", args.bars)
        if bars != int(bars):
            raise edit.EditError(f"--bars: expected a whole number, got {args.bars!r}")
        values["bars"] = int(bars)
    if args.fade_beats is not None:
        values["fade_beats"] = num("--fade-beats", args.fade_beats)
    return apply_edit(args, lambda p: edit.set_rule(p, args.cue, args.source, args.target, **values))


def run_marker(args: argparse.Namespace) -> int:
    from composer_assist.core import edit

    if args.remove:
        return apply_edit(args, lambda p: edit.remove_marker(p, args.cue, args.name))
    if args.beat is None:
        raise edit.EditError(f"{args.cue}.markers.{args.name}: give a BEAT (or --remove)")
    beat = num("BEAT", args.beat)
    return apply_edit(args, lambda p: edit.set_marker(p, args.cue, args.name, beat))
