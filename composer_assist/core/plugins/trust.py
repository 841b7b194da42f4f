"""Which plugins may run: those in the plugin folders, and those the user chose to trust.

A plugin is code.  One in our ``plugins/`` folder or a standard VST folder (including those the
user adds with ``VST_PATH`` / ``VST3_PATH``) was installed on purpose; one that arrives inside a
downloaded project (a ``.so``, a ``.vst3`` bundle or a Faust ``.dsp``, which can call C
functions) runs only after ``composer-assist plugins trust PATH``.  The decision is remembered
with the file's SHA-256 (a Faust ``.dsp``: with every ``.lib`` and ``.dsp`` beside it, which it may
import), so a plugin changed after it was trusted is untrusted again.

The list lives in ``$XDG_CONFIG_HOME/composer-assist/trusted-plugins.json`` (default
``~/.config``), a file of the user's, never of a project.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from ..atomic import atomic_write_json
from ..errors import PluginError
from ..reading import MiB, read_limited
from .paths import VST2_SUFFIXES, VST3_SUFFIXES, faust_sources, standard_plugin_folders

TRUST_SCHEMA_VERSION = 1


def trust_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "composer-assist" / "trusted-plugins.json"


def fingerprint(path: Path) -> str:
    """SHA-256 of a plugin file, or of every file of a bundle folder (names and contents); a Faust
    ``.dsp`` with the Faust files it may import from beside it (``paths.faust_sources``)."""
    h = hashlib.sha256()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    elif path.suffix.lower() == ".dsp":
        files = [path, *faust_sources(path)]
    else:
        files = [path]
    base = path if path.is_dir() else path.parent
    for f in files:
        h.update(str(f.relative_to(base)).encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def in_plugin_folders(path: Path) -> bool:
    real = path.resolve()
    return any(real == f or f in real.parents for f in (d.resolve() for d in standard_plugin_folders()))


def _entries() -> dict[str, dict]:
    f = trust_file()
    if not f.exists():
        return {}
    try:
        data = json.loads(read_limited(f, 4 * MiB, PluginError, "trusted-plugins file"))
        entries = data["plugins"]
        if data.get("schema_version") != TRUST_SCHEMA_VERSION or not isinstance(entries, dict) or not all(
                isinstance(e, dict) and isinstance(e.get("sha256"), str) for e in entries.values()):
            raise ValueError
        return entries
    except (ValueError, KeyError, TypeError, RecursionError):
        raise PluginError(f"{f}: not a trusted-plugins file (delete it to start again)") from None


def is_trusted(path: Path) -> bool:
    """In a plugin folder, or trusted by the user and unchanged since."""
    if in_plugin_folders(path):
        return True
    entry = _entries().get(str(path.resolve()))
    return entry is not None and entry.get("sha256") == fingerprint(path)


def trust(path: str | os.PathLike) -> Path:
    """Remember that the user trusts the plugin at ``path`` as it is now."""
    p = Path(path).expanduser()
    if not p.exists():
        raise PluginError(f"{p}: no such plugin file or bundle")
    kinds = (*VST2_SUFFIXES, *VST3_SUFFIXES, ".dsp")
    if p.suffix.lower() not in kinds:  # trusting a file lets it run: only what could be a plugin
        raise PluginError(f"{p}: not a plugin (a VST2 {'/'.join(VST2_SUFFIXES)}, a VST3 .vst3 bundle or a Faust .dsp)")
    entries = _entries()
    entries[str(p.resolve())] = {"sha256": fingerprint(p), "trusted_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    atomic_write_json(trust_file(), {"schema_version": TRUST_SCHEMA_VERSION, "plugins": entries})
    return p.resolve()


def untrust(path: str | os.PathLike) -> bool:
    """Forget a trust decision; False if there was none."""
    entries = _entries()
    if entries.pop(str(Path(path).expanduser().resolve()), None) is None:
        return False
    atomic_write_json(trust_file(), {"schema_version": TRUST_SCHEMA_VERSION, "plugins": entries})
    return True
