"""Where an export is written: a temporary folder beside the output, then one rename into place.

An export replaces only an earlier package (a manifest.json of our format), never a folder or zip
of anything else.  A half-written export never replaces a good one: the package is built in ``.NAME.export-XXXX``
next to OUT and published only when complete (a folder by two renames, the old one removed after;
a zip by ``core.atomic``).  Zips are deterministic: members in sorted order (the manifest first),
fixed timestamps and permissions, audio stored (already compressed), JSON deflated.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from composer_assist.core.atomic import atomic_file, umask
from composer_assist.core.errors import PackageError
from composer_assist.runtime.format import FORMAT, MAX_MANIFEST_BYTES

from .manifest import FileEntry, MANIFEST_NAME

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the same bytes every export
CHUNK = 1 << 20


def staging_dir(out: Path, zip_: bool = False) -> Path:
    """A fresh temporary folder beside ``out`` (same file system, so the final rename is atomic),
    once ``out`` is known to be replaceable by a package (checked before any work)."""
    parent = out.parent if str(out.parent) else Path(".")
    check_replaceable(out, zip_)
    for p in [out.parent, *out.parent.parents]:
        if p.exists() and not p.is_dir():
            raise PackageError(f"{out}: cannot be written: {p} is a file")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.export-", dir=parent))
    except OSError as exc:
        raise PackageError(f"{out}: cannot write beside it: {exc.strerror or exc}") from None


def check_replaceable(out: Path, zip_: bool) -> None:
    """Refuse an ``out`` that an export must not replace: anything but nothing, an empty folder or a
    cue package of the same kind (a folder whose manifest.json, or a zip whose manifest.json member,
    is ours).  A file merely named manifest.json is not enough: a web app's manifest is one too."""
    if zip_ and out.is_dir():
        raise PackageError(f"{out}: is a folder; a zip package needs a file name")
    if not zip_ and out.exists() and not out.is_dir():
        raise PackageError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not is_package_folder(out):
        raise PackageError(f"{out}: a folder that is not a package; refusing to replace it (no manifest.json "
                           f"of a cue package in it)")
    if zip_ and out.exists() and not is_package_zip(out):
        raise PackageError(f"{out}: a file that is not a cue package zip; refusing to replace it")


def is_package_folder(path: Path) -> bool:
    """``path`` holds a manifest.json this program wrote (whatever else the package holds)."""
    try:
        with open(path / MANIFEST_NAME, "rb") as f:
            return _is_our_manifest(f.read(MAX_MANIFEST_BYTES + 1))
    except OSError:
        return False


def is_package_zip(path: Path) -> bool:
    """``path`` is a zip whose manifest.json member this program wrote."""
    try:
        with zipfile.ZipFile(path) as z, z.open(MANIFEST_NAME) as f:
            return _is_our_manifest(f.read(MAX_MANIFEST_BYTES + 1))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, NotImplementedError, RuntimeError):
        return False


def _is_our_manifest(data: bytes) -> bool:
    if len(data) > MAX_MANIFEST_BYTES:
        return False
    try:
        m = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(m, dict) and m.get("format") == FORMAT


def file_entry(root: Path, rel: str) -> FileEntry:
    """Size and SHA-256 of ``root/rel``."""
    h = hashlib.sha256()
    size = 0
    with open(root / rel, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return FileEntry(path=rel, size=size, sha256=h.hexdigest())


def publish_folder(stage: Path, out: Path) -> None:
    """Replace ``out`` (a package folder, or nothing) with the finished ``stage``."""
    check_replaceable(out, zip_=False)  # again: the folder may have changed during the export
    old = None
    # mkdtemp made the stage 0700: the package gets the mode of the one it replaces, or of an
    # ordinary mkdir (0777 less umask), so a web server or another user can read what it serves
    os.chmod(stage, stat.S_IMODE(out.stat().st_mode) if out.exists() else 0o777 & ~umask())
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / "pkg")
    os.replace(stage, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_zip(stage: Path, out: Path, members: list[str]) -> None:
    """Zip ``stage``'s ``members`` (manifest first) into ``out`` atomically and deterministically."""
    check_replaceable(out, zip_=True)  # again: the file may have changed during the export
    order = [MANIFEST_NAME] + sorted(m for m in members if m != MANIFEST_NAME)
    with atomic_file(out) as f, zipfile.ZipFile(f, "w") as z:
        for rel in order:
            info = zipfile.ZipInfo(rel, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the machine
            info.compress_type = zipfile.ZIP_DEFLATED if rel.endswith(".json") else zipfile.ZIP_STORED
            info.file_size = (stage / rel).stat().st_size  # zip64 decided up front for big stems
            with open(stage / rel, "rb") as src, z.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
