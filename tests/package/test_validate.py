"""validate PKG: a good package passes; each unsafe or damaged one is refused in one line, exit 2,
with nothing extracted."""

from __future__ import annotations

import re
import json
import os
import shutil
import stat
import zipfile

import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import PackageError
from composer_assist.runtime.source import PackageSource

pytestmark = pytest.mark.slow


def _zip_of(folder, path, extra=(), edit=None):
    """A zip of a package folder; ``extra`` members (name, bytes[, ZipInfo attrs]); ``edit(manifest)``."""
    manifest = json.loads((folder / "manifest.json").read_text())
    if edit:
        edit(manifest)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for p in sorted(folder.rglob("*")):
            rel = p.relative_to(folder).as_posix()
            if p.is_file() and rel != "manifest.json":
                z.write(p, rel)
        for name, data, *attr in extra:
            info = zipfile.ZipInfo(name)
            if attr:
                info.external_attr = attr[0]
            z.writestr(info, data)
    return path


def _validate(capsys, path):
    code = main(["validate", str(path)])
    err = capsys.readouterr().err.strip()
    return code, err


def test_a_good_package_validates_as_folder_and_zip(short_package, tmp_path, capsys):
    folder, _ = short_package
    assert main(["validate", str(folder)]) == 0
    assert "valid cue package (format 1, cue 'short', 2 variants" in capsys.readouterr().out
    z = _zip_of(folder, tmp_path / "ok.zip")
    before = sorted(os.listdir(tmp_path))
    assert main(["validate", str(z)]) == 0
    assert sorted(os.listdir(tmp_path)) == before  # nothing extracted


@pytest.mark.parametrize("name, why", [("../evil.txt", "a path escaping the package"),
                                       ("/etc/evil", "an absolute path"),
                                       ("stems/../../x", "a path escaping the package"),
                                       ("C:/evil", "an absolute path")])
def test_zip_members_outside_the_package_are_refused(short_package, tmp_path, capsys, name, why):
    folder, _ = short_package
    z = _zip_of(folder, tmp_path / "bad.zip", extra=[(name, b"x")])
    code, err = _validate(capsys, z)
    assert code == 2 and err.count("\n") == 0 and why in err and name in err
    assert sorted(os.listdir(tmp_path)) == ["bad.zip"]


def test_symlinks_are_refused_in_zip_and_folder(short_package, tmp_path, capsys):
    folder, _ = short_package
    z = _zip_of(folder, tmp_path / "link.zip", extra=[("stems/link", b"/etc/passwd", (stat.S_IFLNK | 0o777) << 16)])
    code, err = _validate(capsys, z)
    assert code == 2 and "stems/link: a symlink" in err
    copy = tmp_path / "copy.pkg"
    shutil.copytree(folder, copy)
    stem = next(copy.glob("stems/*/*.flac"))
    target = tmp_path / "elsewhere.flac"
    stem.rename(target)
    stem.symlink_to(target)
    code, err = _validate(capsys, copy)
    assert code == 2 and "a symlink" in err and stem.name in err


def test_zip_bombs_are_refused_before_inflating(short_package, tmp_path, capsys):
    folder, result = short_package
    stem = result.manifest.variants[0].layers[0].stem.flac.path
    # a member that inflates past the size the manifest declares for it
    bomb = tmp_path / "bomb.zip"
    _zip_of(folder, bomb)
    with zipfile.ZipFile(bomb) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    members[stem] = bytes(50 << 20)  # 50 MB of zeros, ~50 kB deflated
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    assert bomb.stat().st_size < 2 << 20
    code, err = _validate(capsys, bomb)
    assert code == 2 and stem in err and "over its declared size" in err
    # a total over the limit, whatever the members claim
    with pytest.raises(PackageError, match="unpacks to more than 1000000 bytes"):
        PackageSource(bomb, max_bytes=1_000_000)


def test_a_tampered_stem_is_refused(short_package, tmp_path, capsys):
    folder, result = short_package
    copy = tmp_path / "t.pkg"
    shutil.copytree(folder, copy)
    stem = copy / result.manifest.variants[1].layers[0].stem.flac.path
    data = bytearray(stem.read_bytes())
    data[len(data) // 2] ^= 0x01
    stem.write_bytes(bytes(data))
    code, err = _validate(capsys, copy)
    assert code == 2 and "SHA-256 differs from the manifest (tampered)" in err and stem.name in err
    # and the runtime refuses it too
    from composer_assist.runtime.package import open_package

    with pytest.raises(PackageError, match="tampered"):
        open_package(copy)


def test_unknown_format_version_and_missing_or_unlisted_files(short_package, tmp_path, capsys):
    folder, result = short_package
    z = _zip_of(folder, tmp_path / "v2.zip", edit=lambda m: m.update(format_version=2))
    code, err = _validate(capsys, z)
    assert code == 2 and "unknown format version 2" in err
    copy = tmp_path / "m.pkg"
    shutil.copytree(folder, copy)
    gone = result.manifest.variants[0].layers[1].stem.opus.path
    (copy / gone).unlink()
    code, err = _validate(capsys, copy)
    assert code == 2 and f"{gone}: missing (the manifest refers to it)" in err
    shutil.copytree(folder, tmp_path / "u.pkg")
    (tmp_path / "u.pkg" / "run_me.sh").write_text("rm -rf ~\n")
    code, err = _validate(capsys, tmp_path / "u.pkg")
    assert code == 2 and "run_me.sh: not listed in the manifest's files" in err


def test_schema_errors_name_the_field(short_package, tmp_path, capsys):
    folder, _ = short_package

    def edit(m):
        m["variants"][0]["layers"][1]["fade"] = "wide"

    code, err = _validate(capsys, _zip_of(folder, tmp_path / "s.zip", edit=edit))
    assert code == 2 and "manifest.json: variants[0].layers[1].fade:" in err
    code, err = _validate(capsys, _zip_of(folder, tmp_path / "r.zip",
                                          edit=lambda m: m["rules"][0].update(target="loud")))
    assert code == 2 and "rules[0].target: no variant 'loud'" in err
    code, err = _validate(capsys, _zip_of(folder, tmp_path / "d.zip",
                                          edit=lambda m: m["files"].append(dict(m["files"][0]))))
    assert code == 2 and "listed twice" in err
    bad = tmp_path / "junk.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    code, err = _validate(capsys, bad)
    assert code == 2 and "not a package folder or zip" in err


def test_a_peak_envelope_of_the_wrong_length_or_over_one_is_refused(short_package, tmp_path, capsys):
    folder, result = short_package
    n = len(result.manifest.variants[0].peak_envelope)
    assert n == -(-result.manifest.cue.length_samples // result.manifest.loudness.peak_block)

    def short(m):
        m["variants"][0]["peak_envelope"] = m["variants"][0]["peak_envelope"][:-1]

    code, err = _validate(capsys, _zip_of(folder, tmp_path / "short.zip", edit=short))
    assert code == 2 and f"variants[0].peak_envelope: {n - 1} values, expected {n}" in err, err

    def loud(m):
        m["variants"][1]["peak_envelope"][3] = 1.5

    code, err = _validate(capsys, _zip_of(folder, tmp_path / "loud.zip", edit=loud))
    assert code == 2 and "variants[1].peak_envelope[3]" in err and "less than or equal to 1" in err, err
    # the runtime, which reads the manifest without pydantic, names the field too
    from composer_assist.runtime.package import open_package

    with pytest.raises(PackageError, match=rf"manifest.json: variants\[0\].peak_envelope: {n - 1} values, expected {n}"):
        open_package(_zip_of(folder, tmp_path / "short2.zip", edit=short))


@pytest.mark.parametrize("field, edit, why", [
    ("cue.tempo[0].bpm", lambda m: m["cue"]["tempo"][0].update(bpm=0), "outside [1, 1000]"),
    ("adaptive.control_rate", lambda m: m["adaptive"].update(control_rate=0), "outside (0, 1000]"),
    ("adaptive.dwell_bars", lambda m: m["adaptive"].update(dwell_bars=-5), "outside [0, 1000]"),
    ("adaptive.mode", lambda m: m["adaptive"].update(mode="banana"), "not one of live, planned"),
    ("cue.length_samples", lambda m: m["cue"].update(length_samples=-1), "outside [1, 8589934592]"),
    ("sample_rate", lambda m: m.update(sample_rate="48000"), "expected a whole number"),
    ("sample_rate", lambda m: m.update(sample_rate=0), "outside [1, 384000]"),
])
def test_a_hand_edited_manifest_value_is_refused_by_validate_and_the_runtime(short_package, tmp_path, capsys,
                                                                             field, edit, why):
    from composer_assist.runtime.package import open_package

    folder, _ = short_package
    pkg = _zip_of(folder, tmp_path / "v.zip", edit=edit)
    # validate passed several of these (control_rate 0, dwell_bars -5, sample_rate "48000" or 0)
    code, err = _validate(capsys, pkg)
    assert code == 2 and f"manifest.json: {field}" in err, err
    # and the runtime played them, or stopped on a ZeroDivisionError traceback
    with pytest.raises(PackageError, match=rf"manifest.json: {re.escape(field)}: .*{re.escape(why)}"):
        open_package(pkg)


def test_a_package_folder_without_its_manifest_says_so(short_package, tmp_path, capsys):
    folder, _ = short_package
    lost = tmp_path / "lost"
    shutil.copytree(folder, lost)
    (lost / "manifest.json").unlink()
    code, err = _validate(capsys, lost)
    # before: "lost/project.json: no such project file"
    assert code == 2 and "neither a project (no project.json) nor a cue package (no manifest.json)" in err, err
