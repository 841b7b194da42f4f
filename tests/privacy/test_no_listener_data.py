"""A model, a profiles file and a package exported from the demo hold no listener id, event or
per-listener row: every id of the demo's feedback log is searched for in every byte of every file
(zip and .npz members unpacked)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from composer_assist.cli.main import main
from composer_assist.learn.feedback_log import load_feedback_log
from composer_assist.learn.store import decode_model_file
from composer_assist.services.privacy import privacy_report
from composer_assist.services.privacy_scan import find_ids

LOG = Path(__file__).resolve().parents[2] / "projects" / "demo" / "listeners" / "feedback.csv"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def log():
    return load_feedback_log(LOG)


def _files(export):
    pkg_files = sorted(p for p in export.package.rglob("*") if p.is_file())
    return [export.model, export.profiles, export.package_zip, *pkg_files]


def test_no_listener_id_in_any_byte(demo_export, log):
    files = _files(demo_export)
    assert len(files) > 15 and log.n_listeners == 2000
    assert find_ids(files, log.listener_ids) == []


def test_the_search_would_find_an_id(tmp_path, log):
    """The search is not blind: an id inside a compressed member, or one in plain bytes, is found."""
    lid = log.listener_ids[1234]
    with zipfile.ZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.json", json.dumps({"profiles": [], "who": "x" * 500 + lid}))
    assert lid.encode() not in (tmp_path / "a.zip").read_bytes()  # compressed: invisible as raw bytes
    (tmp_path / "b.bin").write_bytes(np.random.default_rng(0).bytes(1 << 20) + lid.encode())
    found = find_ids([tmp_path / "a.zip", tmp_path / "b.bin"], log.listener_ids)
    assert [(f.where.split("/")[-1], f.what) for f in found] == [
        ("a.zip!x.json", f"holds listener id {lid!r}"), ("b.bin", f"holds listener id {lid!r}")]


def test_model_holds_cluster_parameters_only(demo_export, log):
    meta, arrays = decode_model_file(demo_export.model.read_bytes(), "taste")
    assert not {"listener_ids_", "labels_", "sample_features_", "sample_labels_"} & set(meta["model"])
    sizes = arrays["model.cluster_sizes_"]
    assert sizes.sum() == log.n_listeners and sizes.min() >= 50
    # no array has one row per listener (or per event)
    assert all(a.ndim == 0 or a.shape[0] not in (log.n_listeners, len(log)) for a in arrays.values())
    assert meta["model"]["min_cluster_size_"]


@pytest.mark.parametrize("which", ["package", "package_zip", "model", "profiles"])
def test_privacy_report_is_clean(demo_export, log, which, capsys):
    target = getattr(demo_export, which)
    report = privacy_report(str(target), ids=log.listener_ids)
    assert report.personal == [] and report.sends == [] and report.clean, report.lines()
    assert report.clusters and all(k >= 50 for _, k in report.clusters)
    assert report.min_cluster_size == 50
    assert main(["privacy", str(target)]) == 0
    out = capsys.readouterr().out
    assert "Fields that could describe a person:\n  none" in out and "What the runtime sends:\n  nothing" in out


def test_privacy_report_flags_listener_data(tmp_path, demo_export):
    """A profiles file with a listener id list and events in it is reported, exit status 1."""
    data = json.loads(demo_export.profiles.read_text())
    data["profiles"][0]["listener_ids"] = ["L0001", "L0002"]
    data["events"] = [{"listener": "L0001", "timestamp": 1.0}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    report = privacy_report(str(bad))
    assert {f.where for f in report.personal} >= {"bad.json.profiles[0].listener_ids", "bad.json.events",
                                                   "bad.json.events[0].listener", "bad.json.events[0].timestamp"}
    assert main(["privacy", str(bad)]) == 1


def test_privacy_refuses_what_it_cannot_read_in_one_line(demo_export, tmp_path, capsys):
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(demo_export.package, pkg)
    data = bytearray((pkg / "listeners.json").read_bytes())
    data[10] ^= 0x01  # same size, other bytes: a tampered profiles file
    (pkg / "listeners.json").write_bytes(bytes(data))
    log = tmp_path / "feedback.csv"
    log.write_text("a,b\n1,2\n")  # before: "feedback.csv.npz: outside the model store ..."
    for target, message in ((pkg, "listeners.json: SHA-256 differs from the manifest (tampered)"),
                            (tmp_path / "none" / "x", "no such package, model or profiles file"),
                            (log, "neither a package (folder or .zip), a profiles .json nor a model .npz")):
        assert main(["privacy", str(target)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.endswith(message) and "\n" not in err


def test_an_id_in_coded_audio_is_a_coincidence_but_in_its_tags_a_finding(tmp_path, log):
    """A 5-character id can occur by chance in compressed audio frames (it did, in a FLAC stem of
    the demo): that is a note, not a finding; the same id in the file's tags is a finding."""
    import soundfile as sf

    from composer_assist.services.privacy import privacy_report  # noqa: F811
    from composer_assist.services.privacy_scan import _audio_frames

    lid = log.listener_ids[608]
    x = np.random.default_rng(1).standard_normal((48000, 2)).astype(np.float32) * 0.1
    sf.write(tmp_path / "a.flac", x, 48000)
    data = (tmp_path / "a.flac").read_bytes()
    (start, end), = _audio_frames(data)
    assert 40 < start < 10_000 and end == len(data)
    planted = data[:start + 5000] + lid.encode() + data[start + 5005:]  # a coincidence in the frames
    (tmp_path / "a.flac").write_bytes(planted)
    chance: list = []
    assert find_ids([tmp_path / "a.flac"], log.listener_ids, chance) == []
    assert [c.what for c in chance] == [f"the bytes of listener id {lid!r} by chance in coded data"]
    with zipfile.ZipFile(tmp_path / "p.zip", "w", zipfile.ZIP_STORED) as z:
        z.write(tmp_path / "a.flac", "stems/a.flac")
    assert find_ids([tmp_path / "p.zip"], log.listener_ids) == []  # stored in a zip: the same frames
    # In the tags (a Vorbis comment), it is a finding.
    with sf.SoundFile(tmp_path / "b.flac", "w", 48000, 2, format="FLAC") as f:
        f.comment = f"viewer {lid}"
        f.write(x)
    found = find_ids([tmp_path / "b.flac"], log.listener_ids)
    assert [f.what for f in found] == [f"holds listener id {lid!r}"]
