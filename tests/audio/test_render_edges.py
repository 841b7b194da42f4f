"""Renders at the edges a composer reaches: an echo after silence, a tail longer than its
allowance, parameters at their documented range ends, notes shorter than a sample, a tail that
is gone on the next render."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.audio.render import render_cue, write_cue
from composer_assist.core.project import Note, PluginRef

from render_testkit import layer, project

SR = 48000


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_an_echo_after_silence_is_not_cut_by_the_tail_measured_last_time(tmp_path, cache):
    """A chain remembered the short tail of its last render; the next render, with the note at the
    end, stopped at the silence before the echo and cached the stem without it."""
    echo = PluginRef("delay", {"time": 1500.0, "feedback": 0.0, "mix": 0.5})
    folder = tmp_path / "p"

    def tail(notes):
        p = project(folder, [layer("echo", "keys", notes, effects=[echo])], bars=2)  # 4 s at 120 BPM
        return render_cue(p, "cue").tails["main"]["echo"]

    tail([Note(0.0, 0.25, 60, 100)])  # rings out within the cue: its tail is short
    late = tail([Note(7.5, 0.25, 60, 100)])  # 3.75 s: the echo comes 1.5 s later, past the end
    at = int(1.25 * SR)  # the echo, 1.25 s into the tail
    assert late.shape[1] > at + SR // 10
    assert np.abs(late[:, at:at + SR // 10]).max() > 0.05


def test_a_tail_longer_than_its_allowance_is_faded_and_said(tmp_path, cache):
    """amsynth with its longest release, held to the cue's end: the tail was cut dead at the VST
    allowance (2 s; a step to silence from -10 dBFS), and nothing was said."""
    folder = tmp_path / "p"
    held = layer("am", "amsynth_vst.so", [Note(0.0, 8.0, 60, 127)], params={"amp_release": 1.0})
    p = project(folder, [held], bars=2)
    r = render_cue(p, "cue")
    tail = r.tails["main"]["am"]
    before = np.abs(tail[:, -SR // 10:-SR // 20]).max()
    assert before > 0.05  # still loud 100 ms before the end
    assert np.abs(tail[:, -16:]).max() < 0.02 * before and not tail[:, -1].any()  # faded out, not cut
    assert any("its tail still sounded at" in w and "main/am (amsynth_vst.so)" in w for w in r.warnings), r.warnings
    again = render_cue(p, "cue")  # from the cache: said again
    assert again.cached_stems and any("its tail still sounded at" in w for w in again.warnings)


def test_faust_parameters_at_their_documented_range_ends_render(tmp_path, cache):
    """keys decay 0.2 passed validate and set, then failed the render: "0.2 is outside 0.2..10"
    (DawDreamer reports its ranges in float32)."""
    import json
    from pathlib import Path

    plugins = Path(__file__).resolve().parents[2] / "plugins"
    layers = []
    for name in ("pad", "keys", "bass", "strings", "drums"):
        ranges = json.loads((plugins / f"{name}.json").read_text())["params"]
        for end in ("min", "max"):
            params = {k: float(v[end]) for k, v in ranges.items()}
            layers.append(layer(f"{name}_{end}", name, [Note(0.0, 1.0, 38 if name == "drums" else 60, 100)],
                                params=params))
    for name in ("room", "delay", "clipper"):
        ranges = json.loads((plugins / f"{name}.json").read_text())["params"]
        for end in ("min", "max"):
            fx = PluginRef(name, {k: float(v[end]) for k, v in ranges.items()})
            layers.append(layer(f"{name}_{end}", "keys", [Note(0.0, 1.0, 60, 100)], effects=[fx]))
    r = render_cue(project(tmp_path / "p", layers, bars=1), "cue")
    assert not r.errors
    assert len(r.stems["main"]) == len(layers)


def test_a_note_shorter_than_a_sample_is_left_out_and_named(tmp_path, cache):
    """A note of 1e-7 beats (the format takes any duration above 0) failed the whole stem with
    DawDreamer's "The note length must be greater than zero", naming no note."""
    notes = [Note(0.0, 1.0, 60, 100), Note(2.0, 1e-7, 64, 100)]
    r = render_cue(project(tmp_path / "p", [layer("keys", "keys", notes)], bars=1), "cue")
    assert not r.errors and np.abs(r.stems["main"]["keys"]).max() > 0.01
    assert any("1 note shorter than one sample left out (the first: pitch 64 at beat 2" in w for w in r.warnings), \
        r.warnings


def test_a_tail_gone_on_the_next_render_is_not_left_behind(tmp_path, cache):
    folder, out = tmp_path / "p", tmp_path / "out"
    ringing = project(folder, [layer("keys", "keys", [Note(3.5, 0.5, 60, 127)])], bars=1)
    write_cue(render_cue(ringing, "cue"), out)
    tail = out / "cue" / "main" / "keys.tail.wav"
    assert tail.exists()
    dry = project(folder, [layer("keys", "keys", [Note(0.0, 0.25, 60, 100)], params={"decay": 0.2,
                                                                                      "release": 0.03})], bars=1)
    r = render_cue(dry, "cue")
    assert r.tails["main"]["keys"].shape[1] == 0
    write_cue(r, out)
    assert not tail.exists()  # it was kept beside the new stem and passed for its tail


def test_a_lookahead_limiters_latency_is_taken_out(tmp_path, cache):
    """Kars through the LSP limiter: every onset came 240 samples late (960 with its lookahead
    at 1): the plugin's reported latency was ignored, and the stem was off the grid."""
    from pathlib import Path

    limiter = Path("/usr/lib/vst/lsp-plugins/limiter-stereo.so")
    if not limiter.exists():
        pytest.skip("LSP plugins not installed (Debian lsp-plugins-vst; scripts/setup.sh installs them)")
    from composer_assist.core.plugins.trust import trust

    trust(limiter)
    notes = [Note(0.5, 0.5, 60, 100)]  # 0.25 s at 120 BPM: sample 12000
    plain = render_cue(project(tmp_path / "a", [layer("k", "Kars-vst.so", notes)], bars=1), "cue")
    limited = render_cue(project(tmp_path / "b", [layer("k", "Kars-vst.so", notes, effects=[
        PluginRef(str(limiter), {})])], bars=1), "cue")

    def onset(r):
        return int(np.nonzero(np.abs(r.stems["main"]["k"]).max(axis=0) > 1e-3)[0][0])

    assert onset(plain) == onset(limited), (onset(plain), onset(limited))


def test_a_mono_instrument_into_a_stereo_effect_reaches_both_channels(tmp_path, cache):
    """Kars (mono) into the LSP limiter (stereo): the limiter got the left input only and its right
    output was exactly silent."""
    from pathlib import Path

    limiter = Path("/usr/lib/vst/lsp-plugins/limiter-stereo.so")
    if not limiter.exists():
        pytest.skip("LSP plugins not installed (Debian lsp-plugins-vst; scripts/setup.sh installs them)")
    r = render_cue(project(tmp_path / "p", [layer("k", "Kars-vst.so", [Note(0.5, 0.5, 60, 100)], effects=[
        PluginRef(str(limiter), {})])], bars=1), "cue")
    stem = r.stems["main"]["k"]
    assert np.abs(stem[1]).max() > 0.01 and np.allclose(stem[0], stem[1], atol=1e-6)


def test_a_faust_syntax_error_names_the_dsp_and_its_line(tmp_path, cache):
    """It said "dawdreamer:7 : ERROR : syntax error" for line 4 of a 5-line dsp, and sent the
    composer to DawDreamer's own library folder."""
    import json

    from composer_assist.core.errors import PluginError
    from composer_assist.core.plugins.trust import trust

    folder = tmp_path / "p"
    folder.mkdir()
    dsp = folder / "syn.dsp"
    dsp.write_text('import("stdfaust.lib");\n// two\n// three\nprocess = os.osc(440) : ;\n// five\n')
    (folder / "syn.json").write_text(json.dumps({"name": "syn", "kind": "instrument", "voices": 1}))
    trust(dsp)
    with pytest.raises(PluginError) as err:
        render_cue(project(folder, [layer("s", "./syn.dsp", [Note(0.0, 1.0, 60, 100)])], bars=1), "cue")
    text = str(err.value)
    assert "syn.dsp:4 : ERROR : syntax error" in text and "dawdreamer:" not in text, text
    assert f"libraries are looked for beside syn.dsp, in {folder}" in text, text
