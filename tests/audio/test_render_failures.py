"""What `render` says and writes when a layer fails, and when notes fall outside an instrument."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer_assist.audio.render import mixdown, render_cue
from composer_assist.cli.main import main
from composer_assist.core.errors import RenderError
from composer_assist.core.project import load_project

from render_testkit import build_bad_vst, write_tone


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _layer(name: str, plugin: str, pitches: list[int]) -> dict:
    return {"name": name, "instrument": {"plugin": plugin},
            "clips": [{"start": 0, "notes": [[i * 0.5, 0.4, p, 100] for i, p in enumerate(pitches)]}]}


def _write(folder: Path, variants: dict[str, list[dict]]) -> Path:
    data = {"schema_version": 1, "name": "t", "sample_rate": 48000, "cues": [
        {"name": "night_chase", "tempo": 120, "length_bars": 1, "variants": [
            {"name": name, "valence": 0, "arousal": 0, "layers": layers} for name, layers in variants.items()]}]}
    (folder / "project.json").write_text(json.dumps(data))
    return folder


def test_a_failed_layer_is_reported_once_and_its_variant_has_no_mix(tmp_path, cache, capsys):
    folder = tmp_path / "proj"
    tone = write_tone(folder)
    crash = str(build_bad_vst(tmp_path / "vst", "crash"))
    out = tmp_path / "out"
    # A first render where every layer works leaves a mix.wav and boom.wav behind ...
    _write(folder, {"tense": [_layer("lead", tone, [60, 64]), _layer("boom", tone, [48])],
                    "calm": [_layer("pad", tone, [55])]})
    assert main(["render", str(folder), "-o", str(out)]) == 0
    tense = out / "night_chase" / "tense"
    assert (tense / "mix.wav").exists() and (tense / "boom.wav").exists()
    capsys.readouterr()
    # ... then boom's plugin crashes: no mix.wav for its variant, and the old files are gone.
    _write(folder, {"tense": [_layer("lead", tone, [60, 64]), _layer("boom", crash, [48])],
                    "calm": [_layer("pad", tone, [55])]})
    assert main(["render", str(folder), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert sorted(p.name for p in tense.iterdir()) == ["lead.wav"]
    assert (out / "night_chase" / "calm" / "mix.wav").exists()
    both = captured.out + captured.err
    assert both.count("crashed (SIGSEGV)") == 1, both
    assert captured.err.strip() == ("error: cue 'night_chase' variant 'tense' layer 'boom' (crash_vst.so): "
                                    "crashed (SIGSEGV)")
    [row] = [l for l in captured.out.splitlines() if l.startswith("night_chase") and " tense " in l]
    assert row.endswith("FAILED: boom") and " 1/2 " in row and "-inf" not in row
    [calm] = [l for l in captured.out.splitlines() if " calm " in l]
    assert "FAILED" not in calm
    assert "a variant with a FAILED layer has no mix.wav" in captured.out


def test_mixdown_refuses_a_variant_with_a_failed_layer(tmp_path, cache):
    folder = tmp_path / "proj"
    tone = write_tone(folder)
    crash = str(build_bad_vst(tmp_path / "vst", "crash"))
    _write(folder, {"tense": [_layer("lead", tone, [60]), _layer("boom", crash, [48])]})
    r = render_cue(load_project(folder), "night_chase", keep_going=True)
    with pytest.raises(RenderError, match="variant 'tense': no mixdown, layer 'boom' failed to render"):
        mixdown(r, "tense")


def test_drum_notes_outside_the_kit_are_named_once_per_layer(tmp_path, cache, capsys):
    folder = tmp_path / "proj"
    folder.mkdir()
    tone = write_tone(folder)
    _write(folder, {"tense": [_layer("drums", "drums", [36, 30, 82, 42, 30]), _layer("lead", tone, [10, 60])],
                    "calm": [_layer("drums", "drums", [36, 38]), _layer("fill", "drums", [56])]})
    assert main(["render", str(folder), "-o", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "warning: night_chase/tense/drums: notes 30, 82 are not in the drums kit (35-51, 57) and are silent",
        "warning: night_chase/calm/fill: note 56 is not in the drums kit (35-51, 57) and is silent",
    ]
    r = render_cue(load_project(folder), "night_chase", variants=["calm"])  # cached stems warn too
    assert r.warnings == ["night_chase/calm/fill: note 56 is not in the drums kit (35-51, 57) and is silent"]
