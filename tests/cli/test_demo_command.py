"""The main job: `composer-assist demo` renders, adapts, learns, and writes real audio."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from composer_assist.cli.main import main


def test_demo_writes_stems_adaptive_soundtracks_and_cluster_renders(tmp_path, monkeypatch, capsys, root):
    out = tmp_path / "out"
    assert main(["demo", "-o", str(out)]) == 0
    text = capsys.readouterr().out

    cue = out / "stems" / "night_chase"
    for variant in ("calm", "tense", "playful", "sad", "ambient"):
        mix, sr = sf.read(cue / variant / "mix.wav", dtype="float32")
        assert sr == 48000 and mix.shape == (20 * 48000, 2)  # 8 bars of 4/4 at 96 BPM, sample-exact
        assert 0.01 < np.abs(mix).max() < 1.0
        stems = [p for p in (cue / variant).glob("*.wav") if p.name != "mix.wav" and ".tail" not in p.name]
        assert len(stems) == 4
        for stem in stems:
            assert np.abs(sf.read(stem, dtype="float32")[0]).max() > 1e-3, stem
        assert f"night_chase    {variant}" in text

    traces = sorted((root / "projects" / "traces").glob("*.csv"))
    assert len(traces) >= 3
    for trace in traces:
        folder = out / "adaptive" / trace.stem
        log = json.loads((folder / "decisions.json").read_text())
        assert log["schema_version"] == 1 and log["entries"][0]["kind"] == "start"
        audio, _ = sf.read(folder / "adaptive.wav", dtype="float32")
        assert np.abs(audio).max() > 0.01
        assert (folder / "adaptive.png").stat().st_size > 10_000
        assert trace.stem in text

    # Two listener clusters hear the same trace differently.
    clusters = sorted(p for p in (out / "listeners").glob("cluster*") if p.is_dir())
    assert len(clusters) == 2
    a, b = (json.loads((c / "decisions.json").read_text()) for c in clusters)
    assert a["profile"] != b["profile"]
    assert "the two soundtracks differ" in text
