"""Subcommands that author a project: ``new``, ``add cue|variant|layer``, ``set``, ``rm``, ``mv``.

Every command takes the project first, then an edit path (``CUE``, ``CUE/VARIANT``,
``CUE/VARIANT/LAYER``, with ``.FIELD`` for ``set``).  Each one is a ``core.edit`` command, checked
before anything is written, then saved atomically under the project's lock.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

PATH_HELP = "CUE, CUE/VARIANT or CUE/VARIANT/LAYER"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="create an empty project", description="Create PROJECT/project.json "
                       "with no cues (add them with `add cue`). Refused when a project is already there.")
    p.add_argument("project", help="project folder (created)")
    p.add_argument("--name", default=None, help="project name (default: the folder's name)")
    p.add_argument("--sample-rate", type=int, choices=(44100, 48000), default=48000)
    p.set_defaults(func=run_new)
    _register_add(sub)
    s = sub.add_parser("set", help="set a field: set PROJECT CUE/VARIANT.FIELD VALUE",
                       description="Set one field of a cue, variant or layer; the value is checked now "
                                   "(ranges, names; a plugin parameter against the plugin's metadata or the "
                                   "plugin scan). See docs/editing.md for every field.",
                       epilog="examples: night_chase/calm.valence 0.4; night_chase/calm.tags tense,dark; "
                              "night_chase/calm/bass.instrument amsynth_vst.so; "
                              "night_chase/calm/bass.instrument.params.filter_cutoff 0.3; "
                              "night_chase.tempo 96")
    s.add_argument("project", help="project folder or project.json")
    s.add_argument("path", help=f"{PATH_HELP} then .FIELD, e.g. night_chase/calm.valence")
    # REMAINDER: a value such as -0.5,0.3 starts with '-' but is no option.
    s.add_argument("value", nargs=argparse.REMAINDER, metavar="VALUE", help="the new value (a parameter: 'default' removes it)")
    s.set_defaults(func=run_set)
    r = sub.add_parser("rm", help="remove a cue, variant or layer",
                       description="Remove what PATH names (a variant's transition rules go with it).")
    r.add_argument("project", help="project folder or project.json")
    r.add_argument("path", help=PATH_HELP)
    r.set_defaults(func=run_rm)
    m = sub.add_parser("mv", help="rename a cue, variant or layer",
                       description="Rename what PATH names (a variant's transition rules follow).")
    m.add_argument("project", help="project folder or project.json")
    m.add_argument("path", help=PATH_HELP)
    m.add_argument("new_name", help="the new name (no '/', '.' or '*')")
    m.set_defaults(func=run_mv)


def _register_add(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("add", help="add a cue, variant or layer to a project")
    kinds = a.add_subparsers(dest="add_kind", metavar="cue|variant|layer")
    c = kinds.add_parser("cue", help="add a cue (with one empty variant)")
    c.add_argument("project", help="project folder or project.json")
    c.add_argument("path", metavar="CUE", help="the new cue's name")
    c.add_argument("--variant", default="main", help="its first variant (default: main)")
    c.add_argument("--tempo", default="120", help="BPM (default 120)")
    c.add_argument("--meter", default="4/4", help="time signature (default 4/4)")
    c.add_argument("--bars", default="8", help="length in bars (default 8)")
    c.add_argument("--key", default=None, help="e.g. 'E minor'")
    c.set_defaults(func=run_add_cue)
    v = kinds.add_parser("variant", help="add a variant to a cue")
    v.add_argument("project", help="project folder or project.json")
    v.add_argument("path", metavar="CUE/VARIANT", help="the cue and the new variant's name")
    v.add_argument("--valence", default="0", help="-1..1 (default 0)")
    v.add_argument("--arousal", default="0", help="-1..1 (default 0)")
    v.add_argument("--tags", default="", help="comma-separated, e.g. tense,dark")
    v.add_argument("--copy-from", default=None, metavar="VARIANT", help="copy this variant's layers and clips")
    v.set_defaults(func=run_add_variant)
    ly = kinds.add_parser("layer", help="add an empty layer to a variant (import clips with import-midi)")
    ly.add_argument("project", help="project folder or project.json")
    ly.add_argument("path", metavar="CUE/VARIANT/LAYER", help="the variant and the new layer's name")
    ly.add_argument("--instrument", default="keys", help="Faust id or VST file name (default keys)")
    ly.add_argument("--gain-db", default="0", help="dB (default 0)")
    ly.add_argument("--pan", default="0", help="-1..1 (default 0)")
    ly.set_defaults(func=run_add_layer)
    a.set_defaults(func=lambda args: (a.print_help(), 1)[1])


def num(option: str, text: str) -> float:
    """An option's number, or a one-line error naming the option."""
    from composer_assist.core.edit import EditError
    from composer_assist.core.edit.fields import number

    try:
        return number(text)
    except ValueError as exc:
        raise EditError(f"{option}: {exc}") from None


def loc_at(text: str, level: str):
    """The edit path ``text`` as a Loc of ``level`` (cue, variant or layer)."""
    from composer_assist.core.edit import EditError, parse_loc

    loc = parse_loc(text)
    if loc.level != level:
        shape = {"cue": "CUE", "variant": "CUE/VARIANT", "layer": "CUE/VARIANT/LAYER"}[level]
        raise EditError(f"{text}: expected {shape}")
    return loc


def apply_edit(args: argparse.Namespace, make: Callable[[Any], Any]) -> int:
    """Load, make (validate), apply, save; print what changed."""
    from composer_assist.core.edit import SetAttr
    from composer_assist.core.edit.fields import shown
    from composer_assist.services.editing import edit_project

    project, command = edit_project(args.project, make)
    was = f" (was {shown(command.previous)})" if isinstance(command, SetAttr) and _plain(command.previous) else ""
    print(f"{command.text}{was}; saved {project.path}")
    for w in command.warnings:
        print(f"  warning: {w}")
    return 0


def _plain(value: Any) -> bool:
    """A value worth printing as "was ..." (numbers, text, lists, tempo, meter; not a plugin or clip)."""
    from composer_assist.core.timing import Meter, TempoMap

    return value is None or isinstance(value, (int, float, str, tuple, list, TempoMap, Meter))


def run_new(args: argparse.Namespace) -> int:
    from composer_assist.services.editing import new_project

    project = new_project(args.project, args.name, args.sample_rate)
    print(f"created project {project.name!r} ({project.sample_rate} Hz): {project.path}")
    return 0


def run_add_cue(args: argparse.Namespace) -> int:
    from composer_assist.core.edit import EditError, add_cue
    from composer_assist.core.edit.fields import whole

    loc_at(args.path, "cue")
    try:
        bars = whole(args.bars)
    except ValueError as exc:
        raise EditError(f"--bars: {exc}") from None
    tempo = num("--tempo", args.tempo)
    return apply_edit(args, lambda p: add_cue(p, args.path, args.variant, tempo, args.meter, bars, args.key))


def run_add_variant(args: argparse.Namespace) -> int:
    from composer_assist.core.edit import add_variant
    from composer_assist.core.edit.fields import names

    loc = loc_at(args.path, "variant")
    valence, arousal = num("--valence", args.valence), num("--arousal", args.arousal)
    return apply_edit(args, lambda p: add_variant(p, loc, valence, arousal, names(args.tags), args.copy_from))


def run_add_layer(args: argparse.Namespace) -> int:
    from composer_assist.core.edit import add_layer

    loc = loc_at(args.path, "layer")
    gain, pan = num("--gain-db", args.gain_db), num("--pan", args.pan)
    return apply_edit(args, lambda p: add_layer(p, loc, args.instrument, gain, pan))


def run_set(args: argparse.Namespace) -> int:
    from composer_assist.core.edit import EditError, set_command

    if len(args.value) != 1:
        raise EditError(f"{args.path}: give one VALUE" + (f", got {len(args.value)}: {' '.join(args.value)} "
                                                          "(quote a value with spaces)" if args.value else ""))
    return apply_edit(args, lambda p: set_command(p, args.path, args.value[0]))


def run_rm(args: argparse.Namespace) -> int:
    from composer_assist.core.edit import parse_loc, remove

    loc = parse_loc(args.path)
    return apply_edit(args, lambda p: remove(p, loc))


def run_mv(args: argparse.Namespace) -> int:
    from composer_assist.core.edit import parse_loc, rename

    loc = parse_loc(args.path)
    return apply_edit(args, lambda p: rename(p, loc, args.new_name))
