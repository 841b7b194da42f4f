"""Subcommand: ``import-midi`` adds a standard MIDI file to a project as a clip."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-midi", help="add a clip from a standard MIDI file (format 0, 1 or 2) to a project",
        description="Add a clip from a standard MIDI file to PROJECT's cue/variant/layer, creating the "
                    "project, cue, variant or layer when missing (a new cue adopts the file's tempo map "
                    "and meter). The file is copied into the project's clips/ folder.")
    p.add_argument("midi", help="the .mid file")
    p.add_argument("project", help="project folder or its project.json (created when missing)")
    p.add_argument("--cue", required=True, help="the cue to import into (made when missing; no '/', '.' or '*')")
    p.add_argument("--variant", required=True, help="the variant of the cue (made when missing)")
    p.add_argument("--layer", required=True, help="the layer that plays the notes (made when missing)")
    p.add_argument("--instrument", default=None,
                   help="the layer's instrument: Faust id (pad, keys, drums, ...) or VST file; a new layer "
                        "defaults to keys, an existing layer changes to it")
    p.add_argument("--track", type=int, default=None, help="import only this track (0-based)")
    p.add_argument("--start", type=float, default=0.0, help="place the clip at this beat (default 0)")
    p.add_argument("--timing", choices=("musical", "absolute"), default="musical",
                   help="when the cue's tempo differs from the file's: keep bars and beats (musical, "
                        "default) or keep seconds (absolute)")
    p.add_argument("--inline", action="store_true", help="store the notes in project.json instead of a .mid copy")
    p.set_defaults(func=run)
    m = sub.add_parser("midi", help="look into MIDI files")
    acts = m.add_subparsers(dest="midi_action", metavar="ACTION")
    i = acts.add_parser("info", help="a MIDI file's tracks, channels, note ranges, tempo map and meters",
                        description="List a standard MIDI file's tracks (name, channels, notes, lowest and "
                                    "highest note, programs) and its tempo map, time signatures, key and length.")
    i.add_argument("midi", help="the .mid file")
    i.set_defaults(func=run_info)
    m.set_defaults(func=lambda args: (m.print_help(), 1)[1])


def run_info(args: argparse.Namespace) -> int:
    from composer_assist.core.midi.info import midi_info, note_name

    info = midi_info(args.midi)
    d = info.data
    bars = d.length_beats / d.meter.beats_per_bar
    print(f"{d.path}: format {d.format}, {d.ticks_per_beat} ticks per beat, {len(info.tracks)} tracks, "
          f"{len(d.notes)} notes, {d.length_beats:g} beats ({bars:.1f} bars of {d.meter}, "
          f"{d.tempo.seconds_at(d.length_beats):.2f} s)" + (f", key {d.key}" if d.key else ""))
    print("tempo map: " + ", ".join(f"{p.bpm:.4g} BPM at beat {p.beat:g}" for p in d.tempo.points))
    if len(d.meters) > 1:
        print("time signatures: " + ", ".join(f"{m} at beat {b:g}" for b, m in d.meters))
    print(f"{'track':>5}  {'name':<20} {'channels':<10} {'notes':>6}  range")
    for t in info.tracks:
        chans = ",".join(str(c + 1) for c in t.channels) or "-"  # shown 1-16, as sequencers do
        rng = f"{note_name(t.lowest)} ({t.lowest}) .. {note_name(t.highest)} ({t.highest})" if t.notes else "-"
        progs = f"  programs {','.join(map(str, t.programs))}" if t.programs else ""
        print(f"{t.index:>5}  {t.name[:20]:<20} {chans:<10} {t.notes:>6}  {rng}{progs}")
    return 0


def run(args: argparse.Namespace) -> int:
    from composer_assist.core.project.midi_import import import_midi

    r = import_midi(args.midi, args.project, args.cue, args.variant, args.layer, instrument=args.instrument,
                    track=args.track, start=args.start, timing=args.timing, inline=args.inline)
    try:
        _report(r)
    except KeyboardInterrupt as exc:
        exc.add_note(f"{r.project.path}: saved (the import had completed when the interrupt came)")
        raise
    return 0


def _report(r) -> None:
    m = r.midi
    seconds = r.cue.tempo.seconds_at(max(n.start + n.duration for n in r.clip.placed_notes()))
    print(f"imported {m.path.name}: format {m.format}, {len(r.clip.notes)} notes, "
          f"{m.length_beats / m.meter.beats_per_bar:.1f} bars of {m.meter}, "
          f"{m.tempo.initial_bpm:g} BPM{' (tempo changes: %d)' % (len(m.tempo.points) - 1) if len(m.tempo.points) > 1 else ''}")
    print(f"  -> {r.cue.name} / {r.variant.name} / {r.layer.name} at beat {r.clip.start:g}, "
          f"ends at {seconds:.2f} s" + (f" (stored as {r.clip.file})" if r.clip.file else " (stored inline)"))
    if r.created:
        print(f"  created: {', '.join(r.created)}")
    for w in r.warnings:
        print(f"  warning: {w}")
    print(f"  saved {r.project.path}")
