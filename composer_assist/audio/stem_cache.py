"""The stem cache: rendered chains stored as float32 ``.npy`` under a hash of what made them.

The key covers the notes (in seconds, so the tempo map is in it), each plugin's file (path,
mtime, size; each binary inside a VST3 bundle; a Faust dsp, its metadata and the ``.lib`` files
beside it by content), parameters, the bytes of a state file, the sample rate, block size,
lengths and the DawDreamer version.  Editing one layer changes one key: one stem re-renders.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from composer_assist.core.atomic import atomic_write_json, sweep_stale_temp_files
from composer_assist.core.plugins.paths import faust_sources

from .scan import bundle_binaries, cache_dir

DEFAULT_CACHE_MAX_MB = 2048
RENDER_VERSION = 3  # bump when the renderer changes what it produces for the same inputs


def stems_dir() -> Path:
    return cache_dir() / "stems"


def file_fingerprint(path: Path) -> dict:
    """What identifies a plugin file: content hash for small text (Faust), else mtime and size."""
    out: dict = {"path": str(path)}
    if path.suffix in (".dsp", ".json", ".lib"):
        out["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
        return out
    if path.is_dir():  # a VST3 bundle: its folder's mtime does not change when a binary is replaced
        out["files"] = [[str(f.relative_to(path)), *_stat(f)] for f in bundle_binaries(path)]
        return out
    out.update(zip(("mtime_ns", "size"), _stat(path)))
    return out


def _stat(path: Path) -> tuple[int | None, int | None]:
    try:
        st = path.stat()
    except OSError:
        return None, None
    return st.st_mtime_ns, st.st_size


def faust_fingerprint(dsp: Path) -> dict:
    """Content hashes of a Faust dsp's metadata and of every library it may import."""
    return {"meta": file_fingerprint(Path(dsp).with_suffix(".json")),
            "libs": [file_fingerprint(lib) for lib in faust_sources(dsp)]}


def dawdreamer_version() -> str:
    """Installed DawDreamer version (without importing it): another version may render differently."""
    from importlib import metadata

    try:
        return metadata.version("dawdreamer")
    except metadata.PackageNotFoundError:
        return "unknown"


def stem_key(fingerprint: dict) -> str:
    text = json.dumps(dict(fingerprint, version=RENDER_VERSION, dawdreamer=dawdreamer_version()), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def stem_path(key: str) -> Path:
    return stems_dir() / key[:2] / f"{key}.npy"


def load_stem(key: str, min_length: int) -> tuple[np.ndarray, dict] | None:
    """A cached stem (2, n >= min_length) float32 and its render figures, or None."""
    path = stem_path(key)
    meta_path = path.with_suffix(".json")
    if not path.exists() or not meta_path.exists():
        return None
    try:
        arr = np.load(path, allow_pickle=False)
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a damaged entry is re-rendered
    if arr.dtype != np.float32 or arr.ndim != 2 or arr.shape[0] != 2 or arr.shape[1] < min_length:
        return None
    try:
        os.utime(path)  # recently used: the last to be pruned
    except OSError:
        pass
    return arr, meta


def cache_limit_bytes() -> int:
    """``$COMPOSER_ASSIST_CACHE_MAX_MB`` (default 2048 MB): the stem cache is pruned to this size."""
    raw = os.environ.get("COMPOSER_ASSIST_CACHE_MAX_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_CACHE_MAX_MB
    except ValueError:
        mb = DEFAULT_CACHE_MAX_MB
    return int(max(mb, 0.0) * 1024 * 1024)


def prune(limit: int | None = None, keep: set[str] = frozenset()) -> int:
    """Delete the least recently used stems until the cache fits ``limit`` bytes; returns bytes freed.

    ``keep`` holds keys just rendered or used, which are never deleted.
    """
    limit = cache_limit_bytes() if limit is None else limit
    # A render killed while writing leaves a temp file only a rewrite of that same entry would
    # sweep, and a cached entry is never rewritten: dead writers' leftovers go here instead.
    for folder in (tails_dir(), *(d for d in stems_dir().glob("*") if d.is_dir())):
        sweep_stale_temp_files(folder)
    entries = []
    total = 0
    for npy in stems_dir().glob("*/*.npy"):
        try:
            st = npy.stat()
        except OSError:
            continue
        total += st.st_size
        entries.append((st.st_mtime, st.st_size, npy))
    freed = 0
    for _, size, npy in sorted(entries):
        if total - freed <= limit:
            break
        if npy.stem in keep:
            continue
        for f in (npy, npy.with_suffix(".json")):
            try:
                f.unlink()
            except OSError:
                pass
        freed += size
    return freed


def save_meta(key: str, meta: dict) -> None:
    """Written after the .npy: an entry counts as cached only when both exist."""
    atomic_write_json(stem_path(key).with_suffix(".json"), meta)


def tails_dir() -> Path:
    return cache_dir() / "tails"


def tail_hint(chain_key: str) -> int | None:
    """The tail (samples) a chain's last render measured, or None: the next render's allowance."""
    try:
        value = json.loads((tails_dir() / f"{chain_key}.json").read_text(encoding="utf-8"))["tail"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return int(value) if isinstance(value, int) and value >= 0 else None


def save_tail_hint(chain_key: str, tail: int) -> None:
    atomic_write_json(tails_dir() / f"{chain_key}.json", {"tail": int(tail)})
