"""MIDI reading and import on a real third-party parser test suite and real Bach files."""

from __future__ import annotations


import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import MidiImportError
from composer_assist.core.midi import read_midi
from composer_assist.core.project import load_project


def midi_suite(realdata):
    return sorted((realdata / "midi_jazzsoft_tests").iterdir())


def test_every_suite_file_imports_or_is_refused_in_one_line(realdata):
    ok = refused = 0
    for path in midi_suite(realdata):
        try:
            read_midi(path)
            ok += 1
        except MidiImportError as exc:
            msg = str(exc)
            assert str(path) in msg and "\n" not in msg
            refused += 1
    assert ok >= 55 and refused >= 5


@pytest.mark.parametrize("name, reason", [
    ("test-empty-file.mid", "empty"),
    ("test-not-a-midi-file.mid", "not a readable standard MIDI file"),
    ("test-corrupt-file-missing-byte.mid", "truncated"),
])
def test_broken_files_are_refused_with_reason(realdata, name, reason):
    with pytest.raises(MidiImportError, match=reason):
        read_midi(realdata / "midi_jazzsoft_tests" / name)


def test_formats_0_1_2_agree(realdata):
    d = realdata / "midi_jazzsoft_tests"
    f0, f1, f2 = (read_midi(d / f"test-2-tracks-type-{i}.mid") for i in range(3))
    assert (f0.format, f1.format, f2.format) == (0, 1, 2)
    assert len(f0.notes) == len(f1.notes) == len(f2.notes) == 16
    # Format 2 tracks are independent patterns, laid one after the other.
    assert f2.length_beats > f1.length_beats


def test_scale_notes_at_expected_beats(realdata):
    m = read_midi(realdata / "midi_jazzsoft_tests" / "test-c-major-scale.mid")
    assert [n.pitch for n in m.notes] == [60, 62, 64, 65, 67, 69, 71, 72]
    starts = [n.start for n in m.notes]
    assert starts == sorted(starts) and starts[0] == 0.0


def test_goldberg_tempo_and_meter(realdata):
    m = read_midi(realdata / "midi_mutopia_goldberg" / "bwv-988-v01.mid")
    assert str(m.meter) == "3/4"
    assert len(m.notes) > 500
    assert m.tempo.initial_bpm == pytest.approx(60.0)


def test_import_midi_cli_creates_and_extends_project(realdata, tmp_path, capsys):
    proj = tmp_path / "p"
    goldberg = realdata / "midi_mutopia_goldberg" / "bwv-988-v02.mid"
    assert main(["import-midi", str(goldberg), str(proj), "--cue", "aria", "--variant", "calm",
                 "--layer", "harpsichord", "--instrument", "pad"]) == 0
    p = load_project(proj)
    cue = p.cue("aria")
    assert str(cue.meter) == "2/4" and cue.tempo.initial_bpm == pytest.approx(60.0)
    clip = cue.variant("calm").layer("harpsichord").clips[0]
    assert clip.file and (proj / clip.file).exists()
    assert len(cue.variant("calm").layer("harpsichord").notes()) == len(read_midi(goldberg).notes)
    # A file at another tempo keeps its seconds with --timing absolute.
    kar = realdata / "midi_jazzsoft_tests" / "test-karaoke-kar.mid"
    assert main(["import-midi", str(kar), str(proj), "--cue", "aria", "--variant", "tense",
                 "--layer", "vox", "--instrument", "pad", "--timing", "absolute"]) == 0
    src = read_midi(kar)
    notes = load_project(proj).cue("aria").variant("tense").layer("vox").notes()
    last = notes[-1]
    assert cue.tempo.seconds_at(last.start) == pytest.approx(src.tempo.seconds_at(src.notes[-1].start), abs=1e-3)


def test_import_midi_cli_bad_file_is_one_line(realdata, tmp_path, capsys):
    bad = realdata / "midi_jazzsoft_tests" / "test-not-a-midi-file.mid"
    assert main(["import-midi", str(bad), str(tmp_path / "p"), "--cue", "c", "--variant", "v",
                 "--layer", "l", "--instrument", "pad"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "test-not-a-midi-file.mid" in err
    assert not (tmp_path / "p" / "project.json").exists()


def _write_midi(path, tempo_bpm=120.0, meters=((4, 4),), start_tick=0):
    import mido

    mf = mido.MidiFile(type=0, ticks_per_beat=480)
    tr = mido.MidiTrack()
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    for i, (n, d) in enumerate(meters):
        tr.append(mido.MetaMessage("time_signature", numerator=n, denominator=d, time=0 if i == 0 else 1920))
    tr.append(mido.Message("note_on", note=60, velocity=90, time=start_tick))
    tr.append(mido.Message("note_off", note=60, velocity=0, time=480))
    mf.tracks.append(tr)
    mf.save(path)
    return path


@pytest.mark.parametrize("kwargs, message", [
    ({"tempo_bpm": 2000.0}, "tempo 2000 BPM at beat 0 is outside the 1..1000 BPM a cue accepts"),
    ({"meters": ((4, 128),)}, "time signature 4/128 at beat 0 is not one a cue accepts"),
])
def test_import_refuses_what_a_cue_cannot_hold_and_writes_nothing(tmp_path, capsys, kwargs, message):
    mid = _write_midi(tmp_path / "odd.mid", **kwargs)
    assert main(["import-midi", str(mid), str(tmp_path / "p"), "--cue", "c", "--variant", "v",
                 "--layer", "l", "--instrument", "pad"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p" / "project.json").exists()


@pytest.mark.parametrize("names, message", [
    (("c", "v", "a/b"), "--layer: a name 'a/b' may not contain '/'"),
    (("x.y", "v", "l"), "--cue: a name 'x.y' may not contain '.'"),
    (("c", "*", "l"), "--variant: a name '*' may not contain '*'"),
    (("c", "", "l"), "--variant: a name must be non-empty text"),
])
def test_import_refuses_a_new_name_the_edit_commands_could_not_address(tmp_path, capsys, names, message):
    # Before, the layer was saved, and `show`, `set` and `rm` could never address it again.
    mid = _write_midi(tmp_path / "ok.mid")
    cue, variant, layer = names
    assert main(["import-midi", str(mid), str(tmp_path / "p"), "--cue", cue, "--variant", variant,
                 "--layer", layer, "--instrument", "pad"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "p" / "project.json").exists()


def test_import_warns_about_meter_changes_and_refuses_nan_start(tmp_path, capsys):
    mid = _write_midi(tmp_path / "m.mid", meters=((4, 4), (3, 4)), start_tick=3000)
    proj = tmp_path / "p"
    assert main(["import-midi", str(mid), str(proj), "--cue", "c", "--variant", "v", "--layer", "l",
                 "--instrument", "pad"]) == 0
    out = capsys.readouterr().out
    assert "changes time signature (4/4 at beat 0, 3/4 at beat 4)" in out
    assert main(["import-midi", str(mid), str(proj), "--cue", "c", "--variant", "v", "--layer", "l",
                 "--start", "nan"]) == 2
    assert "must be a number >= 0" in capsys.readouterr().err
    assert load_project(proj).cue("c").variant("v").layer("l").clips[0].start == 0.0


def test_zero_tempo_and_bad_key_signature_are_refused(tmp_path):
    import mido

    mf = mido.MidiFile(type=0)
    mf.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=0)]))
    mf.save(tmp_path / "zero.mid")
    with pytest.raises(MidiImportError, match="tempo of 0"):
        read_midi(tmp_path / "zero.mid")
    raw = bytearray((tmp_path / "zero.mid").read_bytes())
    # Replace the tempo meta (FF 51 03 00 00 00) by a key signature with an impossible key (FF 59 02 20 00).
    i = raw.index(b"\xff\x51\x03")
    raw[i:i + 6] = b"\xff\x59\x02\x20\x00\x00"
    (tmp_path / "key.mid").write_bytes(bytes(raw))
    with pytest.raises(MidiImportError, match="key.mid"):
        read_midi(tmp_path / "key.mid")


def test_running_status_resumed_after_sysex_is_read(realdata):
    """The jazz-soft file plays a C major scale whose running status continues across a SysEx."""
    m = read_midi(realdata / "midi_jazzsoft_tests" / "test-running-status-sysex.mid")
    assert [n.pitch for n in m.notes] == [60, 62, 64, 65, 67, 69, 71, 72]
    assert all(n.velocity == 127 for n in m.notes)


def test_reader_returns_plain_data_with_key_signature(tmp_path):
    import mido

    from composer_assist.core.midi import MidiNote

    mf = mido.MidiFile(type=0)
    mf.tracks.append(mido.MidiTrack([mido.MetaMessage("key_signature", key="F#m"),
                                     mido.Message("note_on", note=66, velocity=80),
                                     mido.Message("note_off", note=66, time=480)]))
    mf.save(tmp_path / "fsharp.mid")
    m = read_midi(tmp_path / "fsharp.mid")
    assert m.key == "F# minor"
    assert m.notes == [MidiNote(0.0, 1.0, 66, 80)] and type(m.notes[0]) is MidiNote


def test_import_sets_key_from_file_or_leaves_it_unset(tmp_path, realdata):
    import mido

    mf = mido.MidiFile(type=0)
    mf.tracks.append(mido.MidiTrack([mido.MetaMessage("key_signature", key="Eb"),
                                     mido.Message("note_on", note=63, velocity=80),
                                     mido.Message("note_off", note=63, time=480)]))
    mf.save(tmp_path / "eb.mid")
    assert main(["import-midi", str(tmp_path / "eb.mid"), str(tmp_path / "p"), "--cue", "c", "--variant", "v",
                 "--layer", "l"]) == 0
    assert load_project(tmp_path / "p").cue("c").key == "Eb major"
    scale = realdata / "midi_jazzsoft_tests" / "test-c-major-scale.mid"
    assert read_midi(scale).key is None
    assert main(["import-midi", str(scale), str(tmp_path / "q"), "--cue", "c", "--variant", "v",
                 "--layer", "l"]) == 0
    data = (tmp_path / "q" / "project.json").read_text()
    assert load_project(tmp_path / "q").cue("c").key is None and '"key"' not in data


def test_import_warns_when_a_6_8_file_goes_into_a_3_4_cue(tmp_path, capsys):
    proj = tmp_path / "p"
    assert main(["import-midi", str(_write_midi(tmp_path / "a.mid", meters=((3, 4),))), str(proj), "--cue", "c",
                 "--variant", "v", "--layer", "l"]) == 0
    capsys.readouterr()
    assert main(["import-midi", str(_write_midi(tmp_path / "b.mid", meters=((6, 8),))), str(proj), "--cue", "c",
                 "--variant", "v", "--layer", "m"]) == 0
    out = capsys.readouterr().out
    assert "warning: the file is in 6/8, cue 'c' in 3/4: bars are as long but beats group differently" in out


def test_a_failed_import_leaves_no_copied_clip(tmp_path, monkeypatch):
    from composer_assist.core.errors import ProjectError
    from composer_assist.core.project import midi_import

    mid = _write_midi(tmp_path / "a.mid")

    def fail(*_a, **_k):
        raise ProjectError("disk full (simulated)")

    monkeypatch.setattr(midi_import, "save_project", fail)
    with pytest.raises(ProjectError, match="disk full"):
        midi_import.import_midi(mid, tmp_path / "p", "c", "v", "l")
    assert not list((tmp_path / "p").rglob("*.mid"))


def test_instrument_changes_an_existing_layer_and_silent_drum_notes_are_named(tmp_path, capsys):
    import mido

    mf = mido.MidiFile(type=0)
    track = mido.MidiTrack()
    for pitch in (36, 30, 38, 90):  # 30 and 90 are outside the drums kit
        track += [mido.Message("note_on", note=pitch, velocity=100), mido.Message("note_off", note=pitch, time=240)]
    mf.tracks.append(track)
    mf.save(tmp_path / "beat.mid")
    proj = tmp_path / "p"
    args = ["import-midi", str(tmp_path / "beat.mid"), str(proj), "--cue", "c", "--variant", "v", "--layer", "l"]
    assert main(args) == 0
    assert load_project(proj).cue("c").variant("v").layer("l").instrument.plugin == "keys"
    capsys.readouterr()
    assert main(args + ["--instrument", "drums"]) == 0
    out = capsys.readouterr().out
    assert "layer 'l' now plays drums instead of keys" in out
    assert "notes 30, 90 are not in the drums kit (35-51, 57) and will be silent" in out
    assert load_project(proj).cue("c").variant("v").layer("l").instrument.plugin == "drums"


def test_a_chunk_of_unknown_type_is_skipped_and_a_header_listing_missing_tracks_is_named(realdata, tmp_path):
    # the SMF spec (and the file's own text) says a reader ignores chunk types it does not know;
    # before: "not a readable standard MIDI file: no MTrk header at start of track"
    data = read_midi(realdata / "midi_jazzsoft_tests" / "test-non-midi-track.mid")
    assert len(data.notes) == 8 and data.length_beats == 8
    raw = bytearray((realdata / "midi_jazzsoft_tests" / "test-c-major-scale.mid").read_bytes())
    raw[10:12] = (65535).to_bytes(2, "big")
    bad = tmp_path / "many.mid"
    bad.write_bytes(bytes(raw))
    with pytest.raises(MidiImportError, match=r"many.mid: the header lists 65535 tracks, more than the file holds"):
        read_midi(bad)  # before: "the file has no tracks"
