"""`composer-assist midi info`: tracks, channels, note ranges, programs, tempo map and meters of a
real file written with mido; a file that is not MIDI is one line, exit 2."""

from __future__ import annotations

import mido

from tests.core.project_testkit import run_cli


def test_midi_info_lists_tracks_channels_ranges_and_the_tempo_map(tmp_path):
    mf = mido.MidiFile(ticks_per_beat=480)
    conductor = mido.MidiTrack([
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0),
        mido.MetaMessage("time_signature", numerator=3, denominator=4, time=0),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(140), time=480 * 6),
    ])
    piano = mido.MidiTrack([mido.MetaMessage("track_name", name="Piano", time=0),
                            mido.Message("program_change", program=0, channel=0, time=0)])
    for p in (48, 60, 84):
        piano += [mido.Message("note_on", note=p, velocity=80, channel=0, time=0),
                  mido.Message("note_off", note=p, channel=0, time=480)]
    drums = mido.MidiTrack([mido.MetaMessage("track_name", name="Drums", time=0)])
    for p in (36, 38):
        drums += [mido.Message("note_on", note=p, velocity=100, channel=9, time=0),
                  mido.Message("note_off", note=p, channel=9, time=240)]
    mf.tracks += [conductor, piano, drums]
    path = tmp_path / "song.mid"
    mf.save(path)
    r = run_cli("midi", "info", path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"{path}: format 1, 480 ticks per beat, 3 tracks, 5 notes")
    assert "of 3/4" in lines[0]
    assert lines[1] == "tempo map: 100 BPM at beat 0, 140 BPM at beat 6"
    rows = {l.split()[0]: l for l in lines[3:]}
    assert "Piano" in rows["1"] and " 1 " in rows["1"] and "C3 (48) .. C6 (84)" in rows["1"] and "programs 0" in rows["1"]
    assert "Drums" in rows["2"] and " 10 " in rows["2"] and "C2 (36) .. D2 (38)" in rows["2"]
    assert rows["0"].split()[1:] == ["-", "0", "-"]


def test_midi_info_refuses_a_file_that_is_not_midi_in_one_line(tmp_path):
    bad = tmp_path / "notes.mid"
    bad.write_text("not midi at all")
    r = run_cli("midi", "info", bad)
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: {bad}: ") and r.stderr.count("\n") == 1
