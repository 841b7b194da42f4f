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


def _blobs(path: Path) -> Iterator[tuple[str, bytes]]:
    """A file's bytes, then, for a zip archive, each member's unpacked bytes."""
    data = path.read_bytes()
    yield str(path), data
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    if not info.is_dir():
                        yield f"{path}!{info.filename}", z.read(info)
        except (zipfile.BadZipFile, OSError, NotImplementedError):
            pass


def find_ids(files: Iterable[Path], ids: Iterable[str]) -> list[Finding]:
    """Every listener id found in the files' bytes (zip members unpacked); one finding per (blob, id)."""
    wanted = {i.encode("utf-8") for i in ids if i}
    by_prefix: dict[bytes, set[int]] = {}
    for w in wanted:
        by_prefix.setdefault(w[:2], set()).add(len(w))
    out: list[Finding] = []
    for f in files:
        for name, data in _blobs(Path(f)):
            hits: set[bytes] = set()
            for prefix, lengths in by_prefix.items():  # bytes.find runs in C: a few scans per prefix
                at = data.find(prefix)
                while at >= 0:
                    hits.update(data[at:at + n] for n in lengths if data[at:at + n] in wanted)
                    at = data.find(prefix, at + 1)
            out += [Finding(name, f"holds listener id {h.decode('utf-8', 'replace')!r}") for h in sorted(hits)]
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
