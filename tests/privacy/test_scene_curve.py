"""Scene-curve mode: with emotion sensing off, the runtime plans the package's own scene curve with
the viewer's cluster; it renders and differs from off mode (the composer's default variant)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from composer_assist.cli.main import main
from composer_assist.runtime.package import decisions_vector, open_package

pytestmark = pytest.mark.slow


def _play(pkg, out, *extra) -> np.ndarray:
    assert main(["play-package", str(pkg), "--duration", "24", "-o", str(out), *extra]) == 0
    audio, sr = sf.read(out, dtype="float32")
    assert sr == 48000 and audio.shape == (24 * 48000, 2)
    return audio


def test_scene_mode_renders_and_differs_from_off(demo_export, tmp_path):
    scene = _play(demo_export.package, tmp_path / "scene.wav", "--emotion", "scene", "--cluster", "suspense-lovers")
    off = _play(demo_export.package, tmp_path / "off.wav", "--emotion", "off", "--cluster", "suspense-lovers")
    rms = lambda a: float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))  # noqa: E731
    assert rms(scene) > 1e-3 and rms(off) > 1e-3
    assert rms(scene - off) > 0.25 * rms(off)  # not the same music
    pkg = open_package(demo_export.package)
    profile = pkg.profile("suspense-lovers")
    trace, mode, prof = pkg.follow("scene", None, None, profile)
    assert mode == "planned" and prof is profile and trace is pkg.scene_curve
    scene_dec = decisions_vector(pkg, trace, mode, prof, duration=24)
    trace, mode, prof = pkg.follow("off", None, None, profile, 24.0)
    off_dec = decisions_vector(pkg, trace, mode, prof, duration=24)
    assert prof is None and [d for d in off_dec if d["kind"] == "switch"] == []
    assert off_dec[0]["variant"] == pkg.cue.variants[0].name  # the composer's default variant
    assert scene_dec != off_dec  # the scene curve is followed, bent by the cluster


def test_scene_curve_in_the_package_is_only_the_curve(demo_export):
    data = json.loads((demo_export.package / "scene_curve.json").read_text())
    assert set(data) == {"schema_version", "name", "times", "valence", "arousal"}
    manifest = json.loads((demo_export.package / "manifest.json").read_text())
    assert manifest["scene_curve"]["path"] == "scene_curve.json"
    assert any(f["path"] == "scene_curve.json" for f in manifest["files"])  # checksummed like a stem


def test_scene_mode_without_a_curve_is_one_line(demo_export, tmp_path, capsys):
    bare = tmp_path / "bare"
    shutil.copytree(demo_export.package, bare)
    m = json.loads((bare / "manifest.json").read_text())
    del m["scene_curve"]
    m["files"] = [f for f in m["files"] if f["path"] != "scene_curve.json"]
    (bare / "manifest.json").write_text(json.dumps(m))
    (bare / "scene_curve.json").unlink()
    assert main(["play-package", str(bare), "--emotion", "scene", "--duration", "2", "-o", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("this package carries no scene curve (export it with --scene-curve TRACE)") and "\n" not in err
    assert main(["play-package", str(bare), "--emotion", "sensed", "--duration", "2", "-o", str(tmp_path / "x.wav")]) == 2
    assert "--trace" in capsys.readouterr().err


def test_scene_mode_says_a_trace_given_is_not_used(demo_export, tmp_path, root, capsys):
    trace = root / "projects" / "traces" / "comedy_scene.csv"
    assert main(["play-package", str(demo_export.package), "--emotion", "scene", "--trace", str(trace),
                 "--duration", "1", "-o", str(tmp_path / "x.wav")]) == 0
    # before: the viewer's trace was dropped without a word
    assert "--emotion scene follows the package's scene curve; --trace is not used" in capsys.readouterr().err
