"""The level match of a rendered cue, kept beside the stem cache under a hash of what made it.

Matching levels mixes and meters every variant (loudness, true peaks, the local loudness tables,
the rows of the intensity range): about 0.7 s on the demo cue, at every ``adapt``, ``play``,
``export`` and ``evaluate``.  The result depends only on the cue (its every field, serialised as
the project file has it), the sample rate, the stems (their cache keys, which cover everything
that made them) and the code that measures (the source of ``composer_assist.core``), so a file
keyed by a hash of those is either right or not found.  One ``.npz`` per key: the figures as a
JSON string and the loudness tables as arrays, read without pickle.  A file that does not read
is measured again and replaced.

Beside it, under the same key, each variant's highest true peak over its intensity range
(``core.intensity_peaks``, what export's delivery gain keeps under the ceiling: about 2 s on the
demo cue), and the variants' peak envelopes (``core.peak_envelope``, measured on the stems as the
mixer lays them out, so that layout's code is in their name: about 0.5 s), each stored once first
asked for.  Pruning a level match removes what was stored beside it.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

import composer_assist.core as core_package
from composer_assist.core.atomic import atomic_write_bytes
from composer_assist.core.level_match import LevelMatch
from composer_assist.core.peak_envelope import PeakEnvelopes
from composer_assist.core.plugins.scan_cache import cache_dir
from composer_assist.core.project import Cue, Project
from composer_assist.core.project.serialize import project_to_json

LEVELS_VERSION = 1  # bump when what is stored changes
KEEP_FILES = 64  # the newest level matches kept; each is a few hundred kB at most


def levels_dir() -> Path:
    return cache_dir() / "levels"


@lru_cache(maxsize=1)
def _code_hash() -> str:
    """The source of composer_assist.core: any change to how levels are measured misses the cache."""
    h = hashlib.sha256()
    root = Path(core_package.__file__).parent
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def levels_key(cue: Cue, sample_rate: int, stem_keys: dict[str, dict[str, str]]) -> str:
    """The cache key of the level match of ``cue`` at ``sample_rate`` over the stems cached under
    ``stem_keys`` (variant -> layer -> stem cache key)."""
    text = json.dumps({"version": LEVELS_VERSION, "code": _code_hash(), "sample_rate": sample_rate,
                       "cue": project_to_json(Project("", cues=[cue]))["cues"][0], "stems": stem_keys},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _path(key: str) -> Path:
    return levels_dir() / f"{key}.npz"


def load_levels(key: str) -> LevelMatch | None:
    """The level match stored under ``key``, or None (not there, or unreadable)."""
    path = _path(key)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            windows = {name: np.array(z[f"windows_{i}"]) for i, name in enumerate(meta["windows"])}
        path.touch()  # the newest are kept
        return LevelMatch(gains_db=meta["gains_db"], loudness=meta["loudness"], reference_lufs=meta["reference_lufs"],
                          lowered_db=meta["lowered_db"], messages=meta["messages"],
                          true_peaks_dbtp=meta["true_peaks_dbtp"], windows=windows, window_hop=meta["window_hop"])
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None


def save_levels(key: str, m: LevelMatch) -> None:
    """Store ``m`` under ``key`` (atomically), keeping the newest ``KEEP_FILES``; a cache that cannot
    be written is left as it is (the match is measured again next time)."""
    names = list(m.windows)
    meta = {"gains_db": m.gains_db, "loudness": m.loudness, "reference_lufs": m.reference_lufs,
            "lowered_db": m.lowered_db, "messages": m.messages, "true_peaks_dbtp": m.true_peaks_dbtp,
            "windows": names, "window_hop": m.window_hop}
    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta)), **{f"windows_{i}": m.windows[n] for i, n in enumerate(names)})
    try:
        atomic_write_bytes(_path(key), buf.getvalue(), announce=False)
        _prune()
    except OSError:
        pass


def _rows_path(key: str) -> Path:
    return levels_dir() / f"{key}-rows.json"


def load_intensity_peaks(key: str) -> dict[str, float] | None:
    """The intensity peaks stored under ``key`` (variant -> dBTP), or None."""
    try:
        data = json.loads(_rows_path(key).read_text(encoding="utf-8"))
        peaks = {str(k): float(v) for k, v in data["intensity_peaks_dbtp"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return peaks


def save_intensity_peaks(key: str, peaks: dict[str, float]) -> None:
    """Store ``peaks`` under ``key`` (atomically; a cache that cannot be written is left)."""
    text = json.dumps({"version": LEVELS_VERSION, "intensity_peaks_dbtp": peaks}, allow_nan=False)
    try:
        atomic_write_bytes(_rows_path(key), text.encode(), announce=False)
    except (OSError, ValueError):
        pass


def _envelopes_path(key: str, salt: str) -> Path:
    return levels_dir() / f"{key}-peaks-{hashlib.sha256(salt.encode()).hexdigest()[:16]}.npz"


def load_envelopes(key: str, salt: str) -> PeakEnvelopes | None:
    """The peak envelopes stored under ``key`` for the layout ``salt`` names, or None."""
    try:
        with np.load(_envelopes_path(key, salt), allow_pickle=False) as z:
            block, top = int(z["block"]), float(z["top"])
            envelopes = [np.array(z[f"env_{i}"], dtype=np.float64) for i in range(int(z["count"]))]
            stingers = [np.array(z[f"stinger_{i}"], dtype=np.float64) for i in range(int(z["stingers"]))]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    return PeakEnvelopes(block, envelopes, top, stingers)


def save_envelopes(key: str, salt: str, env: PeakEnvelopes) -> None:
    """Store ``env`` under ``key`` and ``salt`` (atomically; a cache that cannot be written is left)."""
    buf = io.BytesIO()
    np.savez(buf, block=np.int64(env.block), top=np.float64(env.top or 0.0), count=np.int64(len(env.envelopes)),
             stingers=np.int64(len(env.stingers)), **{f"env_{i}": e for i, e in enumerate(env.envelopes)},
             **{f"stinger_{i}": e for i, e in enumerate(env.stingers)})
    try:
        atomic_write_bytes(_envelopes_path(key, salt), buf.getvalue(), announce=False)
    except OSError:
        pass


def _prune(keep: int = KEEP_FILES) -> None:
    files = []
    for f in levels_dir().glob("*.npz"):
        if "-" in f.stem:  # stored beside a level match: goes with it
            continue
        try:
            files.append((f.stat().st_mtime_ns, f))
        except OSError:  # removed by another process meanwhile
            continue
    for _, f in sorted(files, reverse=True)[keep:]:
        f.unlink(missing_ok=True)
        for beside in levels_dir().glob(f"{f.stem}-*"):
            beside.unlink(missing_ok=True)
