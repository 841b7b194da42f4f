"""write_cue and the render command: stems never collide, never escape -o, and -o is checked first."""

from __future__ import annotations

import json

import numpy as np
import pytest

from composer_assist.audio.render import CueRender, write_cue
from composer_assist.audio.wavio import read_wav
from composer_assist.cli.main import main
from composer_assist.core.errors import RenderError
from composer_assist.core.project import Note, Variant

from render_testkit import layer, project


def _render(tmp_path, cue_name: str, variant: str, names: list[str], tails: bool = True) -> CueRender:
    """A CueRender of distinct constant stems (no plugin needed: this is about file names)."""
    layers = [layer(n, "amsynth_vst.so", [Note(0.0, 1.0, 60, 100)]) for n in names]
    p = project(tmp_path / "p", [], variants=[Variant(variant, 0.0, 0.0, [], layers=layers)])
    cue = p.cues[0]
    cue.name = cue_name
    sr, n = 48000, 64
    stems = {variant: {name: np.full((2, n), 0.01 * (i + 1), np.float32) for i, name in enumerate(names)}}
    tail = {variant: {name: np.full((2, 8), -0.01 * (i + 1), np.float32) for i, name in enumerate(names)}
            if tails else {}}
    return CueRender(cue, sr, n, stems, tail, {}, [])


def test_a_layer_named_mix_or_tail_keeps_its_own_file(tmp_path):
    r = _render(tmp_path, "cue", "main", ["mix", "x", "x.tail", "lead"])
    out = tmp_path / "out"
    files = {f.relative_to(out).as_posix() for f in write_cue(r, out)}
    folder = out / "cue" / "main"
    assert {"cue/main/lead.wav", "cue/main/lead.tail.wav", "cue/main/mix.wav", "cue/main/mix_layer.wav",
            "cue/main/x.wav", "cue/main/x.tail.wav", "cue/main/x.tail_layer.wav",
            "cue/main/x.tail_layer.tail.wav"} <= files
    assert len(files) == 9  # 4 stems + 4 tails + the mixdown: nothing overwritten
    assert np.array_equal(read_wav(folder / "mix_layer.wav")[0], r.stems["main"]["mix"])
    assert np.array_equal(read_wav(folder / "x.tail.wav")[0], r.tails["main"]["x"])
    assert np.array_equal(read_wav(folder / "x.tail_layer.wav")[0], r.stems["main"]["x.tail"])
    mix = read_wav(folder / "mix.wav")[0]
    assert not np.array_equal(mix, r.stems["main"]["mix"]) and abs(mix).max() > 0.05


@pytest.mark.parametrize("cue_name,variant", [("..", "."), (".", ".."), ("", "../.."), ("../x", "a/../../b")])
def test_dot_names_stay_inside_the_output_folder(tmp_path, cue_name, variant):
    r = _render(tmp_path, cue_name, variant, ["..", "."])
    out = tmp_path / "deep" / "out"
    files = write_cue(r, out)
    assert len(files) == 5
    for f in files:
        assert f.resolve().is_relative_to(out.resolve()), f
        assert f.parent.parent.parent.resolve() == out.resolve(), f  # OUT/<cue>/<variant>/<file>
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]


@pytest.mark.parametrize("a,b", [("a/b", "a_b"), ("Lead", "lead"), ("mix_layer", "mix")])
def test_names_that_collide_after_sanitising_are_an_error(tmp_path, a, b):
    r = _render(tmp_path, "cue", "main", [a, b])
    with pytest.raises(RenderError, match=f"layer {a!r}.*layer {b!r}|layer {b!r}.*layer {a!r}"):
        write_cue(r, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # checked before anything is written


def test_write_failure_is_a_one_line_render_error(tmp_path):
    r = _render(tmp_path, "cue", "main", ["lead"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "cue").write_text("a file where the cue folder goes")
    with pytest.raises(RenderError, match=r"out: cannot write .*lead.wav"):
        write_cue(r, out)


def _project_file(folder, layers: list[str]) -> None:
    folder.mkdir(parents=True)
    notes = [[0, 1, 60, 100]]
    data = {"schema_version": 1, "name": "t", "sample_rate": 48000, "cues": [
        {"name": "c", "tempo": 120, "length_bars": 1, "variants": [
            {"name": "v", "valence": 0, "arousal": 0, "layers": [
                {"name": n, "instrument": {"plugin": "amsynth_vst.so"}, "clips": [{"start": 0, "notes": notes}]}
                for n in layers]}]}]}
    (folder / "project.json").write_text(json.dumps(data))


def test_render_command_checks_the_output_before_rendering(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(cache))
    _project_file(tmp_path / "proj", ["lead"])
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["render", str(tmp_path / "proj"), "-o", str(afile)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {afile}: output folder is a file")
    assert not (cache / "stems").exists()  # nothing was rendered
    _project_file(tmp_path / "clash", ["a/b", "a_b"])
    assert main(["render", str(tmp_path / "clash"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "'a/b'" in err and "'a_b'" in err and err.count("\n") == 1
    assert not (cache / "stems").exists() and not (tmp_path / "o").exists()
