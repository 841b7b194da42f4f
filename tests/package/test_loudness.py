"""Delivery loudness checked by an independent meter: ffmpeg's ebur128 filter (BS.1770-4 integrated
loudness and 4x-oversampled true peak) on mixes built from the shipped stems."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
import soundfile as sf

from composer_assist.core.mixmath import layer_gain

pytestmark = pytest.mark.slow


def _ebur128(path) -> tuple[float, float]:
    out = subprocess.run(["ffmpeg", "-nostats", "-i", str(path), "-filter_complex", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, timeout=60).stderr
    summary = out[out.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.inf]+) dBFS", summary).group(1))
    return lufs, peak


def _mix(folder, variant, intensity):
    out = None
    for layer in variant.layers:
        x, _ = sf.read(folder / layer.stem.flac.path, dtype="float64")
        g = 1.0 if intensity is None else float(layer_gain(intensity, *layer.intensity, layer.fade))
        body = g * x[:layer.stem.frames]
        out = body if out is None else out + body
    return out


def test_cue_at_nominal_intensity_is_minus_14_lufs_under_minus_1_dbtp(short_package, tmp_path):
    folder, result = short_package
    loud = result.manifest.loudness
    assert loud.target_met and loud.cue_lufs == -14.0 and loud.true_peak_dbtp <= -1.0
    for v in result.manifest.variants:
        wav = tmp_path / f"{v.name}.wav"
        sf.write(wav, _mix(folder, v, v.nominal_intensity), 48000, subtype="FLOAT")
        lufs, peak = _ebur128(wav)
        figures = loud.variants[v.name]
        # the variant's level as the project says: the common -14 plus its level_offset_lu
        assert abs(lufs - (-14.0 + v.level_offset_lu)) <= 0.3, (v.name, lufs)
        assert abs(lufs - figures.integrated_lufs) <= 0.3
        assert peak <= -1.0 and abs(peak - figures.true_peak_dbtp) <= 0.5, (v.name, peak)
        sf.write(wav, _mix(folder, v, None), 48000, subtype="FLOAT")  # every layer at full gain
        assert _ebur128(wav)[1] <= -1.0


def test_a_peaky_cue_is_held_under_the_ceiling_and_says_so(short_project, short_render, tmp_path):
    """Drums-like spikes: -14 LUFS would peak over -1 dBTP; the export stays under the ceiling and
    the manifest says the target was not met and why."""
    from composer_assist.audio.cue_render import CueRender
    from composer_assist.package.export import export_package

    stems = {v: {l: a.copy() for l, a in per.items()} for v, per in short_render.stems.items()}
    spike = stems["calm"]["pad"]
    spike[:, ::12000] = 0.9  # sparse clicks: loud peaks, little loudness
    render = CueRender(short_render.cue, 48000, short_render.length, stems, short_render.tails,
                       short_render.stingers, [])
    out = tmp_path / "peaky.pkg"
    result = export_package(short_project, "short", out, render=render)
    loud = result.manifest.loudness
    assert not loud.target_met and loud.cue_lufs < -14.0 and "peak above -1 dBTP" in loud.note
    v = result.manifest.variants[0]
    sf.write(tmp_path / "p.wav", _mix(out, v, None), 48000, subtype="FLOAT")
    lufs, peak = _ebur128(tmp_path / "p.wav")
    assert peak <= -1.0 and peak > -1.6  # held at the ceiling, not far below
