"""Export: manifest and schema, deterministic bytes, sample-exact FLAC and Opus stems, atomic publish."""

from __future__ import annotations

import hashlib
import json
import stat

import numpy as np
import pytest
import soundfile as sf

from composer_assist.core.errors import PackageError
from composer_assist.package import export as export_mod
from composer_assist.package.export import export_package
from composer_assist.package.manifest import Manifest, schema_json
from composer_assist.runtime.format import FORMAT_VERSION

pytestmark = pytest.mark.slow


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_manifest_carries_the_cue_and_matches_its_schema(short_package, root):
    out, result = short_package
    data = json.loads((out / "manifest.json").read_text())
    m = Manifest.model_validate(data)
    assert m.format_version == FORMAT_VERSION and m.cue.name == "short" and m.sample_rate == 48000
    assert m.cue.tempo[0].bpm == 120.0 and m.cue.meter.numerator == 4 and m.cue.length_samples == 4 * 48000
    assert (m.loop.start_sample, m.loop.end_sample) == (0, 4 * 48000) and m.markers[0].sample == 2 * 48000
    calm = m.variants[0]
    assert calm.tags == ["calm"] and calm.intensity == (0.0, 0.6) and calm.layers[1].intensity == (0.3, 1.0)
    pair = next(t for t in m.transitions if (t.source, t.target) == ("calm", "tense"))
    assert pair.stinger == "hit" and pair.fade_samples == 12000 and pair.leave_points == [0, 96000, 192000]
    back = next(t for t in m.transitions if (t.source, t.target) == ("tense", "calm"))
    assert back.leave_points[:3] == [0, 24000, 48000] and back.fade_samples == 24000
    assert m.adaptive.dwell_bars == 0.5 and m.adaptive.policy.smoothing_s > 0
    assert m.listeners is not None and len(m.listeners.clusters) >= 2
    # every file listed with its size and hash; the schema shipped is the one in docs/
    for f in m.files:
        blob = (out / f.path).read_bytes()
        assert len(blob) == f.size and hashlib.sha256(blob).hexdigest() == f.sha256
    assert (out / "manifest.schema.json").read_text() == schema_json() == (root / "docs/package-schema.json").read_text()
    # the folder is as readable as its files (it was 0700: the staging folder's mode)
    from composer_assist.core.atomic import umask

    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask()


def test_same_project_same_bytes_folder_and_zip(short_package, short_project, short_render, listeners, tmp_path):
    out, _ = short_package
    again = tmp_path / "again.pkg"
    export_package(short_project, "short", again, web=True, render=short_render, listeners=listeners[0])
    assert _digest(again) == _digest(out)
    z1, z2 = tmp_path / "a.zip", tmp_path / "b.zip"
    export_package(short_project, "short", z1, zip=True, render=short_render)
    export_package(short_project, "short", z2, zip=True, render=short_render)
    assert z1.read_bytes() == z2.read_bytes()


def test_flac_stems_are_sample_exact_and_opus_aligned(short_package):
    out, result = short_package
    m = result.manifest
    for v in m.variants:
        for layer in v.layers:
            s = layer.stem
            flac, sr = sf.read(out / s.flac.path, dtype="float64")
            assert sr == 48000 and flac.shape == (s.frames + s.tail_frames, 2) and s.tail_frames > 0
            assert np.array_equal(np.rint(flac * 2 ** 23), flac * 2 ** 23)  # 24-bit values, exactly
            opus, sr = sf.read(out / s.opus.path, dtype="float64")
            assert sr == 48000 and opus.shape == flac.shape  # pre-skip and end trimming honoured
            head = (out / s.opus.path).read_bytes()
            i = head.find(b"OpusHead")
            assert int.from_bytes(head[i + 10:i + 12], "little") == s.opus.pre_skip > 0
            # aligned to the sample: the cross-correlation peaks at lag 0
            a, b = flac[:48000, 0], opus[:48000, 0]
            lags = np.arange(-40, 41)
            corr = [np.dot(a[50:-50], np.roll(b, k)[50:-50]) for k in lags]
            assert lags[int(np.argmax(corr))] == 0
            err = opus - flac
            assert 20 * np.log10(np.sqrt(np.mean(err ** 2)) / np.sqrt(np.mean(flac ** 2))) < -20  # codec, not shift


def test_a_failed_export_leaves_the_good_package_and_no_temp_folder(short_package, short_project, short_render,
                                                                  tmp_path, monkeypatch):
    out = tmp_path / "good.pkg"
    export_package(short_project, "short", out, render=short_render)
    before = _digest(out)
    calls = []

    def broken(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise PackageError("disk full (simulated)")
        return real(*args, **kw)

    real = export_mod.write_flac
    monkeypatch.setattr(export_mod, "write_flac", broken)
    with pytest.raises(PackageError, match="simulated"):
        export_package(short_project, "short", out, render=short_render, jobs=1)
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.pkg"]


def test_export_refuses_to_replace_a_folder_that_is_not_a_package(short_project, short_render, tmp_path):
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    with pytest.raises(PackageError, match="not a package; refusing to replace it"):
        export_package(short_project, "short", precious, render=short_render)
    assert (precious / "thesis.txt").read_text() == "keep me"
    (tmp_path / "a.zip").write_bytes(b"an older zip")
    with pytest.raises(PackageError, match="exists and is not a folder"):
        export_package(short_project, "short", tmp_path / "a.zip", render=short_render)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "mine"]  # refused before any work


def test_export_refuses_a_folder_holding_another_programs_manifest(short_project, short_render, tmp_path, capsys,
                                                                   monkeypatch):
    # a web app: its manifest.json is no cue package's, and export replaced the whole folder
    app = tmp_path / "webapp"
    (app / "src").mkdir(parents=True)
    (app / "manifest.json").write_text('{"name": "My PWA"}')
    (app / "index.html").write_text("<html></html>")
    (app / "src" / "app.js").write_text("console.log(1)")
    before = _digest(app)
    with pytest.raises(PackageError, match=r"webapp: a folder that is not a package; refusing to replace it"):
        export_package(short_project, "short", app, render=short_render)
    assert _digest(app) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["webapp"]  # refused before any work, nothing left
    # an earlier package is still replaced
    pkg = tmp_path / "pkg"
    export_package(short_project, "short", pkg, render=short_render)
    (pkg / "stems" / "leftover.txt").write_text("from before")
    export_package(short_project, "short", pkg, render=short_render)
    assert not (pkg / "stems" / "leftover.txt").exists()


def test_export_zip_refuses_to_overwrite_a_zip_that_is_not_a_package(short_project, short_render, tmp_path):
    import zipfile

    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as z:
        z.writestr("holiday.jpg", b"\xff\xd8 a photo")
        z.writestr("manifest.json", '{"name": "an album"}')
    (tmp_path / "notes.zip").write_text("not even a zip")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for name in before:
        with pytest.raises(PackageError, match=rf"{name}: a file that is not a cue package zip; refusing"):
            export_package(short_project, "short", tmp_path / name, zip=True, render=short_render)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    # a zip package is still replaced by the next export
    out = tmp_path / "cue.zip"
    export_package(short_project, "short", out, zip=True, render=short_render)
    first = out.read_bytes()
    out.write_bytes(first[:-1] + b"\x00")  # still a zip whose manifest is ours
    export_package(short_project, "short", out, zip=True, render=short_render)
    assert out.read_bytes() == first
