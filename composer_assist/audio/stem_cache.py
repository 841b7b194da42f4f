"""The stem cache: rendered chains stored as float32 ``.npy`` under a hash of what made them.

The key covers the notes (in seconds, so the tempo map is in it), each plugin's file (path,
mtime, size; a Faust dsp and its metadata by content), parameters, the bytes of a state file,
the sample rate, block size and lengths.  Editing one layer changes one key: one stem re-renders.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from composer_assist.core.atomic import atomic_write_json

from .scan import cache_dir

RENDER_VERSION = 1  # bump when the renderer changes what it produces for the same inputs


def stems_dir() -> Path:
    return cache_dir() / "stems"


def file_fingerprint(path: Path) -> dict:
    """What identifies a plugin file: content hash for small text (Faust), else mtime and size."""
    out: dict = {"path": str(path)}
    if path.suffix in (".dsp", ".json", ".lib"):
        out["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
        return out
    target = path
    try:
        st = target.stat()
        out.update(mtime_ns=st.st_mtime_ns, size=st.st_size)
    except OSError:
        out.update(mtime_ns=None, size=None)
    return out


def stem_key(fingerprint: dict) -> str:
    text = json.dumps(dict(fingerprint, version=RENDER_VERSION), sort_keys=True, separators=(",", ":"))
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
    return arr, meta


def save_meta(key: str, meta: dict) -> None:
    """Written after the .npy: an entry counts as cached only when both exist."""
    atomic_write_json(stem_path(key).with_suffix(".json"), meta)
