"""Reading a package folder or zip safely: nothing extracted, nothing executed, every byte checked.

Refused, with one line naming the package and the member: an absolute path or one escaping the
package, a symlink, a member larger than the manifest declares or a package larger than
``MAX_PACKAGE_BYTES`` (a zip bomb), a file whose SHA-256 or size differs from the manifest (a
tampered stem), an unknown format or format version, a referenced file that is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from composer_assist.core.errors import PackageError

from .format import FORMAT, FORMAT_VERSION, MANIFEST_NAME, MAX_MANIFEST_BYTES, MAX_PACKAGE_BYTES

CHUNK = 1 << 20


def check_member_name(name: str) -> str | None:
    """Why ``name`` cannot be a package member (absolute, escaping, odd), or None."""
    if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if "\\" in name or "\x00" in name:
        return "a path with a backslash or NUL"
    parts = PurePosixPath(name).parts
    if any(p in ("..", ".") for p in parts) or not parts:
        return "a path escaping the package"
    return None


class NonFiniteNumber(ValueError):
    """A NaN or Infinity literal (Python's json reads them; JSON has no such numbers)."""


class _Literal(str):
    """Where the reader met NaN, Infinity or -Infinity: found again afterwards to name the field."""


def load_json(data: bytes) -> Any:
    """``data`` parsed as strict JSON: a NaN or Infinity literal raises NonFiniteNumber naming its field."""
    seen: list[_Literal] = []

    def constant(token: str) -> _Literal:
        seen.append(_Literal(token))
        return seen[-1]

    value = json.loads(data.decode("utf-8"), parse_constant=constant)
    if seen:
        where = _path_of(value, seen[0]) or "(top level)"
        raise NonFiniteNumber(f"{where}: {seen[0]} is not a number JSON allows")
    return value


def _path_of(value: Any, target: _Literal, path: str = "") -> str | None:
    if value is target:
        return path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _path_of(item, target, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}".lstrip("."))
        if found is not None:
            return found
    return None


class PackageSource:
    """A package folder or zip: its manifest (a dict) and checked reads of its files."""

    def __init__(self, path: str | os.PathLike, max_bytes: int = MAX_PACKAGE_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.zip: zipfile.ZipFile | None = None
        if self.path.is_symlink():
            raise self.fail("is a symlink")
        if self.path.is_dir():
            self._check_folder()
        elif self.path.is_file():
            self._open_zip()
        else:
            raise self.fail("no such package (a folder or a .zip)")
        self.manifest = self._read_manifest()
        self.declared = self._declared()
        if self.zip is not None:
            self._check_zip_sizes()

    def fail(self, message: str, member: str | None = None) -> PackageError:
        return PackageError(f"{self.path}{': ' + member if member else ''}: {message}")

    # ---- opening -----------------------------------------------------------------------------
    def _check_folder(self) -> None:
        total = 0
        for root, dirs, files in os.walk(self.path, followlinks=False):
            for name in dirs + files:
                full = Path(root) / name
                st = os.lstat(full)
                rel = full.relative_to(self.path).as_posix()
                if stat.S_ISLNK(st.st_mode):
                    raise self.fail("a symlink (packages hold plain files only)", rel)
                if name in files and not stat.S_ISREG(st.st_mode):
                    raise self.fail("not a regular file", rel)
                total += st.st_size if name in files else 0
        if total > self.max_bytes:
            raise self.fail(f"{total} bytes, over the limit of {self.max_bytes}")

    def _open_zip(self) -> None:
        try:
            self.zip = zipfile.ZipFile(self.path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise self.fail(f"not a package folder or zip ({exc})") from None
        seen, total = set(), 0
        for info in infos:
            why = check_member_name(info.filename.rstrip("/") if info.is_dir() else info.filename)
            if why:
                raise self.fail(why, info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise self.fail("a symlink (packages hold plain files only)", info.filename)
            if info.flag_bits & 0x1:
                raise self.fail("encrypted", info.filename)
            if info.filename in seen:
                raise self.fail("appears twice in the zip", info.filename)
            seen.add(info.filename)
            total += info.file_size
            if total > self.max_bytes:
                raise self.fail(f"unpacks to more than {self.max_bytes} bytes (a zip bomb?)")

    def _read_manifest(self) -> dict[str, Any]:
        data = self.read_bytes(MANIFEST_NAME, MAX_MANIFEST_BYTES, what="manifest")
        try:
            m = load_json(data)
        except NonFiniteNumber as exc:
            raise self.fail(str(exc), MANIFEST_NAME) from None
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise self.fail(f"not valid JSON ({exc})", MANIFEST_NAME) from None
        if not isinstance(m, dict):
            raise self.fail("expected a JSON object", MANIFEST_NAME)
        if m.get("format") != FORMAT:
            raise self.fail(f"format: {m.get('format')!r} is not a cue package ({FORMAT!r})", MANIFEST_NAME)
        if m.get("format_version") != FORMAT_VERSION:
            raise self.fail(f"format_version: unknown format version {m.get('format_version')!r} "
                            f"(this runtime reads {FORMAT_VERSION})", MANIFEST_NAME)
        return m

    def _declared(self) -> dict[str, tuple[int, str]]:
        files = self.manifest.get("files")
        out: dict[str, tuple[int, str]] = {}
        if not isinstance(files, list):
            raise self.fail("files: expected a list", MANIFEST_NAME)
        for i, f in enumerate(files):
            ok = isinstance(f, dict) and isinstance(f.get("path"), str) and type(f.get("size")) is int \
                and isinstance(f.get("sha256"), str)
            if not ok:
                raise self.fail(f"files[{i}]: expected path, size and sha256", MANIFEST_NAME)
            why = check_member_name(f["path"])
            if why:
                raise self.fail(f"files[{i}].path: {why}", f["path"])
            if f["path"] in out or f["path"] == MANIFEST_NAME:
                raise self.fail(f"files[{i}].path: listed twice (or the manifest itself)", f["path"])
            out[f["path"]] = (f["size"], f["sha256"])
        return out

    def _check_zip_sizes(self) -> None:
        for info in self.zip.infolist():
            size = self.declared.get(info.filename, (None,))[0]
            if size is not None and info.file_size > size:
                raise self.fail(f"{info.file_size} bytes, over its declared size of {size}", info.filename)

    # ---- reading -----------------------------------------------------------------------------
    def _chunks(self, rel: str, limit: int) -> Iterator[bytes]:
        """The bytes of ``rel``, refusing more than ``limit`` (whatever a header says)."""
        why = check_member_name(rel)
        if why:
            raise self.fail(why, rel)
        try:
            f = self.zip.open(rel) if self.zip is not None else self._open_plain(rel)
        except KeyError:
            raise self.fail("missing (the manifest refers to it)", rel) from None
        except (OSError, zipfile.BadZipFile, NotImplementedError) as exc:
            raise self.fail(f"cannot be read ({exc})", rel) from None
        n = 0
        with f:
            while chunk := f.read(CHUNK):
                n += len(chunk)
                if n > limit:
                    raise self.fail(f"larger than its declared size of {limit} bytes", rel)
                yield chunk

    def _open_plain(self, rel: str):
        p = self.path
        for part in PurePosixPath(rel).parts:
            p = p / part
            if p.is_symlink():  # checked again here: the folder may have changed since it was opened
                raise self.fail("a symlink (packages hold plain files only)", rel)
        if not p.is_file():
            raise KeyError(rel)
        return open(p, "rb")

    def read_bytes(self, rel: str, limit: int | None = None, what: str = "") -> bytes:
        """A file's bytes; a declared file is checked against its size and SHA-256."""
        size, sha = self.declared.get(rel, (None, None)) if hasattr(self, "declared") else (None, None)
        cap = size if size is not None else (limit if limit is not None else self.max_bytes)
        data = b"".join(self._chunks(rel, cap))
        if size is not None:
            self._verify(rel, data, size, sha)
        return data

    def _verify(self, rel: str, data: bytes, size: int, sha: str) -> None:
        if len(data) != size:
            raise self.fail(f"{len(data)} bytes, but the manifest says {size} (tampered or truncated)", rel)
        if hashlib.sha256(data).hexdigest() != sha:
            raise self.fail("SHA-256 differs from the manifest (tampered)", rel)

    def verify_all(self) -> int:
        """Check every declared file's size and SHA-256, streaming; the number of bytes checked."""
        total = 0
        for rel, (size, sha) in sorted(self.declared.items()):
            h, n = hashlib.sha256(), 0
            for chunk in self._chunks(rel, size):
                h.update(chunk)
                n += len(chunk)
            if n != size:
                raise self.fail(f"{n} bytes, but the manifest says {size} (tampered or truncated)", rel)
            if h.hexdigest() != sha:
                raise self.fail("SHA-256 differs from the manifest (tampered)", rel)
            total += n
        return total

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()
