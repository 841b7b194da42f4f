"""Level figures and the ``render`` / ``plugins`` commands end to end."""

from __future__ import annotations

import json
import math

import numpy as np

from composer_assist.core.levels import integrated_lufs, peak_dbfs, rms_dbfs, short_term_lufs
from composer_assist.audio.wavio import read_wav
from composer_assist.cli.main import main

from render_testkit import write_tone


def test_levels_of_a_sine():
    sr = 48000
    t = np.arange(sr * 5) / sr
    sine = np.stack([0.5 * np.sin(2 * np.pi * 997 * t)] * 2).astype(np.float32)
    assert abs(peak_dbfs(sine) - 20 * math.log10(0.5)) < 0.01
    assert abs(rms_dbfs(sine) - (20 * math.log10(0.5) - 3.01)) < 0.02
    lufs = integrated_lufs(sine, sr)
    # BS.1770: a full-scale 997 Hz sine in both channels reads 0 LUFS (K-weighting adds ~0.69 dB there)
    assert abs(lufs - 20 * math.log10(0.5)) < 0.1
    times, st = short_term_lufs(sine, sr)
    assert len(times) == 3 and np.allclose(st, lufs, atol=0.1)
    assert times[0] == 1.5


def test_levels_of_silence_and_short_audio():
    sr = 44100
    assert peak_dbfs(np.zeros((2, sr), np.float32)) == -math.inf
    assert rms_dbfs(np.zeros((2, 0), np.float32)) == -math.inf
    assert integrated_lufs(np.zeros((2, sr), np.float32), sr) == -math.inf
    assert integrated_lufs(np.ones((2, 1000), np.float32), sr) is None
    times, st = short_term_lufs(np.zeros((2, sr), np.float32), sr)
    assert len(times) == 0


def _write_project(folder):
    tone = write_tone(folder)
    notes = [[i * 0.5, 0.4, 48 + (i * 5) % 24, 100] for i in range(16)]
    data = {
        "schema_version": 1, "name": "cli", "sample_rate": 44100,
        "cues": [{"name": "intro", "tempo": 110, "length_bars": 2,
                  "variants": [
                      {"name": "calm", "valence": 0.4, "arousal": -0.3, "tags": ["tender"],
                       "layers": [{"name": "synth", "instrument": {"plugin": "amsynth_vst.so"},
                                   "effects": [{"plugin": "MVerb-vst.so", "params": {"Mix": 0.6}}],
                                   "clips": [{"start": 0, "notes": notes}]}]},
                      {"name": "tense", "valence": -0.5, "arousal": 0.7,
                       "layers": [{"name": "lead", "instrument": {"plugin": tone, "params": {"cutoff": 900}},
                                   "gain_db": -3, "pan": 0.4, "clips": [{"start": 0, "notes": notes}]}]}]}]}
    (folder / "project.json").write_text(json.dumps(data))


def test_render_command_writes_stems_and_prints_the_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "proj"
    folder.mkdir()
    _write_project(folder)
    out = tmp_path / "out"
    assert main(["render", str(folder), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "intro" in text and "calm" in text and "+0.4/-0.3 tender" in text and "tense" in text
    assert "0 of 2 stems from the cache" in text
    synth, sr = read_wav(out / "intro" / "calm" / "synth.wav")
    assert sr == 44100 and synth.shape == (2, int(round(8 * 60 / 110 * 44100)))
    assert (out / "intro" / "calm" / "synth.tail.wav").exists()
    assert (out / "intro" / "tense" / "mix.wav").exists()
    assert main(["render", str(folder), "-o", str(out), "--variant", "tense", "--variant", "tense",
                 "--sample-rate", "48000"]) == 0
    text = capsys.readouterr().out
    assert "0 of 1 stems from the cache" in text  # tense once, though named twice
    # one variant's levels are matched against itself alone: said, not left for the mix to differ
    assert "levels matched among the variants rendered here (tense)" in text
    assert main(["render", str(folder), "-o", str(out), "--cue", "outro"]) == 2
    assert "no cue 'outro'" in capsys.readouterr().err


def test_plugins_info_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    ref = write_tone(tmp_path)
    assert main(["plugins", "info", ref]) == 0
    lines = capsys.readouterr().out.splitlines()
    # Columns: the range, the default and the current value (a fresh instance: the same).
    assert lines[-2].split() == ["parameter", "range", "default", "current"]
    assert lines[-1].split() == ["cutoff", "50", "..", "16000", "Hz", "4000", "Hz", "4000", "Hz"]
    assert main(["plugins", "info", "MVerb-vst.so"]) == 0
    rows = {l.split()[0]: l for l in capsys.readouterr().out.splitlines() if l.strip()}
    # A VST's range in its own units comes from what it displays at 0 and at 1.
    assert rows["Size"].split() == ["Size", "0", "..", "1", "(5.000000", "%", "..", "100.000000", "%)",
                                    "0.7368", "(75.000000", "%)", "0.7368", "(75.000000", "%)"]
    assert main(["plugins", "save-state", "amsynth_vst.so", "s.fxp", "--set", "filter_cutoff=0.3"]) == 0
    assert (tmp_path / "s.fxp").read_bytes()[:4] == b"CcnK"
    assert main(["plugins", "save-state", "amsynth_vst.so", "s.fxp", "--set", "cutoff=0.3"]) == 2
    assert "unknown parameter 'cutoff'" in capsys.readouterr().err
