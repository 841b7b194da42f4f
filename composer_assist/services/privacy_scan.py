"""The checks behind ``composer-assist privacy``: fields that could describe a person, listener ids
hidden in bytes, and what the runtime's code could send.

* ``personal_fields(obj)``: every key of a JSON document (or array name of a model file) that names
  something about a person -- an id, an event, a time a person did something, a body signal --
  and every list as long as the number of listeners (one row per listener).
* ``find_ids(files, ids)``: every listener id found in the bytes of files, and in the unpacked
  members of zip archives (a package zip, a model's ``.npz``), so compression hides nothing.
* ``network_imports()``: the modules of the reference runtime (and what it loads) that import a
  network library; empty means the runtime's code cannot open a connection.
"""

from __future__ import annotations

import ast
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

# Key names (lowercase, without a trailing "_") that describe a person or what a person did.
PERSONAL_KEYS = re.compile(r"(listener|user|viewer|person|subject|participant|account|customer)(_?ids?|_?names?)?"
                           r"|(e_?mail|ip|ip_address|device_id|timestamps?|events?|labels|physio|heart_rate|hr|eda"
                           r"|sample_features|sample_labels|age|gender|location|birth\w*)")
NETWORK_MODULES = ("socket", "ssl", "http", "urllib", "ftplib", "smtplib", "telnetlib", "xmlrpc", "asyncio",
                   "requests", "httpx", "aiohttp", "websocket", "websockets", "pythonosc", "zmq", "grpc")
RUNTIME_PACKAGES = ("composer_assist.runtime", "composer_assist.playback", "composer_assist.core")


@dataclass
class Finding:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def personal_fields(obj: Any, where: str, n_listeners: int | None = None) -> list[Finding]:
    """Keys naming personal data, and lists with one entry per listener, anywhere in ``obj``."""
    out: list[Finding] = []
    stack: list[tuple[Any, str]] = [(obj, where)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, v in value.items():
                name = str(key).lower().rstrip("_")
                # a whole number under "events" or "labels" is a count (aggregate), not a person's data
                counted = name in ("event", "events", "labels") and isinstance(v, int) and not isinstance(v, bool)
                if PERSONAL_KEYS.fullmatch(name) and not counted:
                    out.append(Finding(f"{path}.{key}", "a field that names a person or what they did"))
                stack.append((v, f"{path}.{key}"))
        elif isinstance(value, list):
            if n_listeners and n_listeners > 1 and len(value) == n_listeners:
                out.append(Finding(path, f"{len(value)} entries: one per listener"))
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value) if isinstance(v, (dict, list)))
    return sorted(out, key=lambda f: f.where)


Blob = tuple[str, bytes, list[tuple[int, int]]]  # name, bytes, ranges of coded data (chance matches)


def _blobs(path: Path) -> Iterator[Blob]:
    """A file's bytes, then, for a zip archive, each member's unpacked bytes; with each, the byte
    ranges whose content is coded data (compressed audio frames, a zip member's packed bytes),
    where a short id can occur by chance."""
    data = path.read_bytes()
    members: list[tuple[int, int]] = []
    unpacked: list[Blob] = []
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    if not info.is_dir():
                        # The packed bytes are searched unpacked below: in the archive they are coded data.
                        start = _member_data(data, info.header_offset)
                        if start is not None:
                            members.append((start, start + info.compress_size))
                        body = z.read(info)
                        unpacked.append((f"{path}!{info.filename}", body, _audio_frames(body)))
        except (zipfile.BadZipFile, OSError, NotImplementedError):
            members, unpacked = [], []
    yield str(path), data, members or _audio_frames(data)
    yield from unpacked


def _member_data(data: bytes, header: int) -> int | None:
    """Where a zip member's packed bytes start, after its local header (None: not a local header)."""
    if data[header:header + 4] != b"PK\x03\x04" or header + 30 > len(data):
        return None
    return header + 30 + int.from_bytes(data[header + 26:header + 28], "little") + \
        int.from_bytes(data[header + 28:header + 30], "little")


def _audio_frames(data: bytes) -> list[tuple[int, int]]:
    """The byte range of a FLAC or Ogg file's coded audio, after its metadata (which is searched as
    text would be: tags, comments, pictures); none for anything else."""
    if data.startswith(b"fLaC"):
        at = 4
        while at + 4 <= len(data):  # metadata blocks: 1 bit last, 7 bits type, 24 bits length
            last, size = data[at] & 0x80, int.from_bytes(data[at + 1:at + 4], "big")
            at += 4 + size
            if last:
                return [(at, len(data))] if at < len(data) else []
        return []
    if data.startswith(b"OggS"):
        # Ogg Opus/Vorbis: the identification and comment packets come first, each ending on a page
        # of its own; the audio pages follow.
        at, packets = 0, 0
        while at + 27 <= len(data) and data[at:at + 4] == b"OggS":
            n = data[at + 26]
            lacing = data[at + 27:at + 27 + n]
            packets += sum(1 for x in lacing if x < 255)
            at += 27 + n + sum(lacing)
            if packets >= 2:
                return [(at, len(data))] if at < len(data) else []
        return []
    return []


CODED_NOTE = "by chance in coded data"


def find_ids(files: Iterable[Path], ids: Iterable[str], chance: list[Finding] | None = None) -> list[Finding]:
    """Every listener id found in the files' bytes (zip members unpacked); one finding per (blob, id).

    An id found only inside coded data (FLAC or Ogg audio frames, a zip member's packed bytes,
    which are searched unpacked) is a coincidence of a short id with compressed bytes (a 5-character
    id occurs about once in every 500 MB of random bytes per 2,000 ids): it goes to ``chance``
    (when given), not to the findings.  Metadata, tags and every other byte count."""
    wanted = {i.encode("utf-8") for i in ids if i}
    by_prefix: dict[bytes, set[int]] = {}
    for w in wanted:
        by_prefix.setdefault(w[:2], set()).add(len(w))
    out: list[Finding] = []
    for f in files:
        for name, data, coded in _blobs(Path(f)):
            hits: set[bytes] = set()
            coincidences: set[bytes] = set()
            for prefix, lengths in by_prefix.items():  # bytes.find runs in C: a few scans per prefix
                at = data.find(prefix)
                while at >= 0:
                    for n in lengths:
                        if data[at:at + n] in wanted:
                            inside = any(lo <= at and at + n <= hi for lo, hi in coded)
                            (coincidences if inside else hits).add(data[at:at + n])
                    at = data.find(prefix, at + 1)
            out += [Finding(name, f"holds listener id {h.decode('utf-8', 'replace')!r}") for h in sorted(hits)]
            if chance is not None:
                chance += [Finding(name, f"the bytes of listener id {h.decode('utf-8', 'replace')!r} {CODED_NOTE}")
                           for h in sorted(coincidences - hits)]
    return out


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def runtime_modules() -> list[Path]:
    """The source files of the runtime and of the layers it loads (playback, core)."""
    root = Path(sys.modules["composer_assist"].__file__).parent
    return sorted(p for pkg in RUNTIME_PACKAGES for p in (root / Path(*pkg.split(".")[1:])).rglob("*.py"))


def network_imports() -> list[Finding]:
    """Runtime modules that import a network library (none, or the runtime could send something)."""
    out = []
    for path in runtime_modules():
        for name in sorted(_imports(path)):
            if name.split(".")[0] in NETWORK_MODULES:
                out.append(Finding(str(path), f"imports {name}"))
    return out


__all__ = ["Finding", "NETWORK_MODULES", "PERSONAL_KEYS", "find_ids", "network_imports", "personal_fields", "runtime_modules"]
