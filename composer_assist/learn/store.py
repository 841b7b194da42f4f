"""The model store: the one folder preference models are saved to and loaded from.

A model is one file, ``NAME.npz``: a zip of numeric ``.npy`` arrays written and read with
``allow_pickle=False``, plus a ``meta`` member holding UTF-8 JSON (format, schema version,
library versions, feature schema, hyperparameters, catalog, profiles, the description of every
pipeline step -- see ``persist.py`` -- quality figures, and a SHA-256 over all of it).  It holds
cluster parameters only, of clusters with at least k listeners (``min_size.py``): no listener id,
event or per-listener row.  Loading
never unpickles and never imports or calls anything named by the file, so a model from anywhere
-- another machine, a downloaded project -- is just data: it either rebuilds a consistent model
or is refused with a one-line error.  The SHA-256 guards against corruption, not against a
forger (there is nothing left for one to gain beyond what a profiles JSON could do).

Model and metadata share the file, which is written beside its target and renamed over it
(``core.atomic``): a save interrupted at any point leaves the previous model or the new one,
never a mix and never neither.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import platform
import re
import stat
import zipfile
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from composer_assist.core.atomic import atomic_write_bytes
from composer_assist.core.errors import ModelStoreError
from composer_assist.core.reading import parse_json

from .min_size import MIN_CLUSTER_SIZE, with_min_cluster_size

# 4: cluster parameters only (no listener ids, labels or feature rows), clusters of >= k listeners;
# 3: one .npz of arrays + JSON, no pickle (2 was joblib + a signed sidecar)
MODEL_SCHEMA_VERSION = 4
FORMAT = "composer-assist listener preference model"
SUFFIX = ".npz"
LEGACY_SUFFIXES = (".joblib", ".meta.json")  # pickled models of schema 2: named in errors, never loaded
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
# A model of 100 clusters over a few hundred variants holds a few MiB of arrays (the demo's: 30 kB).
# The arrays are deflated, and deflate packs zeros about 1000:1, so the sizes their headers
# declare are checked before numpy allocates them: a small file must not ask for gigabytes.
MAX_MODEL_BYTES = 256 * 1024 * 1024
MAX_ARRAY_BYTES = 256 * 1024 * 1024


def default_store_dir(project: str | Path | None = None) -> Path:
    """PROJECT/models, else $COMPOSER_ASSIST_MODELS, else ~/.local/share/composer-assist/models."""
    if project is not None:
        p = Path(project)
        return (p.parent if p.is_file() else p) / "models"
    env = os.environ.get("COMPOSER_ASSIST_MODELS")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "composer-assist" / "models"


def library_versions() -> dict[str, str]:
    import sklearn

    from composer_assist import __version__

    return {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "composer-assist": __version__}


def _plain(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars as numbers, NaN/inf as null, tuples as lists, keys as text."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _digest(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the metadata (but this field) and every array's name, dtype, shape and bytes."""
    h = hashlib.sha256()
    body = {k: v for k, v in meta.items() if k != "sha256"}
    h.update(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"\0{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def encode_model_file(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """The bytes of a model file: arrays and the JSON metadata in one .npz, no pickle."""
    buf = io.BytesIO()
    text = json.dumps(meta, ensure_ascii=False, allow_nan=False).encode("utf-8")
    np.savez_compressed(buf, allow_pickle=False, meta=np.frombuffer(text, np.uint8), **arrays)
    return buf.getvalue()


def decode_model_file(data: bytes, source: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Metadata and arrays of a model file, verified (format, schema, SHA-256); never unpickles."""
    if not data.startswith(b"PK\x03\x04"):
        raise ModelStoreError(f"{source}: not a model file (not an .npz archive)")
    try:
        _check_array_sizes(data, source)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError, NotImplementedError,
            RuntimeError) as exc:  # the last two: an unknown compression method, an encrypted member
        why = (str(exc).splitlines() or [""])[0]
        raise ModelStoreError(f"{source}: damaged or not a model file ({why})") from None
    raw = arrays.pop("meta", None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelStoreError(f"{source}: meta: missing (not a listener model file)")
    meta = parse_json(raw.tobytes(), f"{source}: meta", ModelStoreError)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelStoreError(f"{source}: meta.format: not a listener preference model")
    version = meta.get("schema_version")
    if version != MODEL_SCHEMA_VERSION:
        raise ModelStoreError(f"{source}: meta.schema_version: model schema {version!r} is not supported "
                              f"(expected {MODEL_SCHEMA_VERSION}); refit the model")
    try:
        digest = _digest(meta, arrays)
    except RecursionError:  # parsed just under the limit, but re-encoding it goes deeper
        raise ModelStoreError(f"{source}: meta: invalid JSON: nested too deeply") from None
    if digest != meta.get("sha256"):
        raise ModelStoreError(f"{source}: SHA-256 mismatch (content {digest[:12]}..., metadata "
                              f"{str(meta.get('sha256'))[:12]}...): the model file was modified or damaged")
    return meta, arrays


def _check_array_sizes(data: bytes, source: str) -> None:
    """Refuse members whose .npy headers declare more than MAX_ARRAY_BYTES in all (numpy would
    allocate that much before reading a byte of the data)."""
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            with z.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read(fh)
            total += math.prod(shape) * dtype.itemsize  # Python ints: a forged shape cannot overflow
            if total > MAX_ARRAY_BYTES:
                raise ModelStoreError(f"{source}: {info.filename.removesuffix('.npy')}: the arrays declare "
                                      f"more than the {MAX_ARRAY_BYTES // 2**20} MiB a model may hold "
                                      f"(shape {shape}); not a model this program wrote")


class ModelStore:
    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().absolute()

    # ------------------------------------------------------------------------------------- paths
    def path_for(self, model: str | Path) -> Path:
        """The file of a model given by a plain name (letters, digits, ``-_.``, not starting with
        ``.``) or by a path -- absolute, or relative to the current folder -- inside the store."""
        text = str(model)
        if not text.strip():
            raise ModelStoreError("model name is empty (give a name such as 'taste')")
        m = Path(text)
        name = m.name
        for suffix in (SUFFIX, *LEGACY_SUFFIXES):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        if not _NAME.fullmatch(name) or text.endswith("/"):
            raise ModelStoreError(f"{text!r}: not a valid model name (use letters, digits, '-', '_' and '.', "
                                  f"not starting with '.')")
        if len(m.parts) == 1:
            m = self.root / (name + SUFFIX)
        else:
            # a path is a path: relative to the current folder, like every other path argument
            m = (m if m.is_absolute() else Path.cwd() / m).with_name(name + SUFFIX)
        try:
            self._inside(m)
        except ModelStoreError as exc:
            if Path(text).is_absolute():
                raise
            raise ModelStoreError(f"{exc} (a relative path is taken from the current folder {Path.cwd()}; "
                                  f"name a model in the store without a '/')") from None
        return m

    def report_path(self, model: str | Path) -> Path:
        """Where ``learn report`` draws its picture: beside the model, NAME.report.png."""
        path = self.path_for(model)
        return path.with_name(path.name[: -len(SUFFIX)] + ".report.png")

    def _inside(self, path: Path) -> None:
        root = self.root.resolve()
        lexical = Path(os.path.normpath(path))
        if not lexical.is_relative_to(Path(os.path.normpath(self.root))) and not lexical.is_relative_to(root):
            raise ModelStoreError(f"{path}: outside the model store {self.root}; models are only loaded "
                                  f"from and saved to the store (use --store to pick another)")
        real = path.resolve()
        if not real.is_relative_to(root):
            raise ModelStoreError(f"{path}: resolves to {real}, outside the model store {self.root} "
                                  f"(a symlink escapes the store)")

    def list(self) -> list[str]:
        return sorted(p.name[: -len(SUFFIX)] for p in self.root.glob(f"*{SUFFIX}") if not p.name.startswith("."))

    # --------------------------------------------------------------------------------- save / load
    def save(self, model: Any, name: str | Path, extra: dict[str, Any] | None = None,
             min_cluster_size: int = MIN_CLUSTER_SIZE) -> Path:
        """Write ``model`` (and ``extra`` metadata, e.g. quality figures) as one file; returns its path.

        Clusters under ``min_cluster_size`` listeners are merged into their nearest in what is
        written (the model passed in is left as it is; see ``min_size.py``)."""
        from .persist import model_state

        path = self.path_for(name)
        state, arrays = model_state(with_min_cluster_size(model, min_cluster_size))
        meta: dict[str, Any] = {"format": FORMAT, "schema_version": MODEL_SCHEMA_VERSION,
                                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                "versions": library_versions(), **state}
        clash = set(meta).intersection(extra or {})
        if clash:
            raise ValueError(f"extra metadata may not replace {sorted(clash)}")
        meta = _plain({**meta, **(extra or {})})
        meta["sha256"] = _digest(meta, arrays)
        # One file holds model and metadata, renamed into place: replaced together or not at all.
        atomic_write_bytes(path, encode_model_file(meta, arrays))
        return path

    def read_meta(self, model: str | Path) -> tuple[Path, dict[str, Any]]:
        """The verified metadata of a model (without rebuilding it)."""
        path = self.path_for(model)
        meta, _ = decode_model_file(self._read(path), str(path))
        return path, meta

    def load(self, model: str | Path, expect_feature_version: int | None = None) -> tuple[Any, dict[str, Any]]:
        """Read, verify and rebuild a model: (ListenerPreferenceModel, metadata)."""
        from .persist import model_from_state

        path = self.path_for(model)
        meta, arrays = decode_model_file(self._read(path), str(path))
        fs = meta.get("feature_schema")
        found = fs.get("version") if isinstance(fs, dict) else fs
        if expect_feature_version is not None and fs is None:
            raise ModelStoreError(f"{path}: a model fitted on a feature matrix, not on a feedback log "
                                  f"(it has no feature schema and no profiles to follow)")
        if expect_feature_version is not None and found != expect_feature_version:
            raise ModelStoreError(f"{path}: meta.feature_schema.version: {found!r} is not supported "
                                  f"(expected {expect_feature_version}); refit the model")
        return model_from_state(meta, arrays, str(path)), meta

    def _read(self, path: Path) -> bytes:
        try:
            st = path.stat()
            if stat.S_ISREG(st.st_mode) and st.st_size > MAX_MODEL_BYTES:
                raise ModelStoreError(f"{path}: {st.st_size / 2**20:.0f} MiB is larger than the "
                                      f"{MAX_MODEL_BYTES // 2**20} MiB a model file may be")
            if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
                raise ModelStoreError(f"{path}: not a regular file (a pipe, socket or device)")
            return path.read_bytes()  # verify and decode these same bytes: no re-read race
        except FileNotFoundError:
            stem = path.name[: -len(SUFFIX)]
            legacy = next((path.with_name(stem + s) for s in LEGACY_SUFFIXES if path.with_name(stem + s).exists()),
                          None)
            if legacy is not None:
                raise ModelStoreError(f"{legacy}: a pickled model from an older version; pickled models are no "
                                      f"longer loaded (loading one could run code): refit it with `learn fit`") from None
            raise ModelStoreError(f"{path}: no such model in the store") from None
        except IsADirectoryError:
            raise ModelStoreError(f"{path}: is a folder, not a model file") from None
        except OSError as exc:
            raise ModelStoreError(f"{path}: cannot read: {exc.strerror or exc}") from None


__all__ = ["FORMAT", "MODEL_SCHEMA_VERSION", "ModelStore", "decode_model_file", "default_store_dir",
           "encode_model_file", "library_versions"]
