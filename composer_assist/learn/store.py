"""The model store: the one folder preference models are saved to and loaded from.

A model is ``NAME.joblib`` (the pickled estimator) plus ``NAME.meta.json``: schema version,
feature schema, library versions, the payload's SHA-256 and an HMAC-SHA256 under the store's own
secret key (``.store-key``, created with the store).  Loading reads the metadata first, refuses
paths outside the store (symlinks included), other schema versions, a missing key, hash or HMAC
mismatches -- and only then unpickles the bytes it has just verified.  A model copied in from
elsewhere fails the HMAC check: share profiles as JSON instead (``export-profiles``).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import platform
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from composer_assist.core.atomic import atomic_write_bytes, atomic_write_json
from composer_assist.core.errors import ModelStoreError

MODEL_SCHEMA_VERSION = 1
SUFFIX = ".joblib"
META_SUFFIX = ".meta.json"
KEY_FILE = ".store-key"


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
    import joblib
    import numpy
    import sklearn

    from composer_assist import __version__

    return {"python": platform.python_version(), "numpy": numpy.__version__, "scikit-learn": sklearn.__version__,
            "joblib": joblib.__version__, "composer-assist": __version__}


class ModelStore:
    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().absolute()

    # ------------------------------------------------------------------------------------- paths
    def path_for(self, model: str | Path) -> Path:
        """The payload path of a model given by name or by a path inside the store."""
        m = Path(model)
        if len(m.parts) == 1 and not m.is_absolute():
            m = self.root / m
        elif not m.is_absolute():
            m = Path.cwd() / m
        if m.name.endswith(META_SUFFIX):
            m = m.with_name(m.name[: -len(META_SUFFIX)] + SUFFIX)
        if not m.name.endswith(SUFFIX):
            m = m.with_name(m.name + SUFFIX)
        self._inside(m)
        return m

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

    def _key(self, create: bool) -> bytes:
        kp = self.root / KEY_FILE
        if kp.is_symlink():
            raise ModelStoreError(f"{kp}: the store key must not be a symlink")
        if not kp.exists():
            if not create:
                raise ModelStoreError(f"{self.root}: not a model store (no {KEY_FILE}); "
                                      f"only models saved by composer-assist into this store can be loaded")
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(kp, secrets.token_hex(32).encode())
            os.chmod(kp, 0o600)
        return kp.read_bytes().strip()

    def list(self) -> list[str]:
        return sorted(p.name[: -len(META_SUFFIX)] for p in self.root.glob(f"*{META_SUFFIX}"))

    # --------------------------------------------------------------------------------- save / load
    def save(self, model: Any, name: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Pickle ``model`` into the store with its metadata sidecar; returns the payload path."""
        import joblib

        path = self.path_for(name)
        key = self._key(create=True)
        buf = io.BytesIO()
        joblib.dump(model, buf, compress=3)
        payload = buf.getvalue()
        meta = {
            "schema_version": MODEL_SCHEMA_VERSION,
            "payload": path.name,
            "sha256": hashlib.sha256(payload).hexdigest(),
            "hmac_sha256": hmac.new(key, payload, hashlib.sha256).hexdigest(),
            "bytes": len(payload),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": library_versions(),
            "feature_schema": getattr(model, "feature_schema_", None),
            **(extra or {}),
        }
        atomic_write_bytes(path, payload)
        atomic_write_json(_meta_path(path), meta)
        return path

    def read_meta(self, model: str | Path) -> tuple[Path, dict[str, Any]]:
        path = self.path_for(model)
        mp = _meta_path(path)
        self._inside(mp)
        if not mp.is_file():
            raise ModelStoreError(f"{mp}: missing model metadata (a model is loaded only with its .meta.json)")
        try:
            meta = json.loads(mp.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelStoreError(f"{mp}: unreadable model metadata: {exc}") from None
        if not isinstance(meta, dict):
            raise ModelStoreError(f"{mp}: model metadata must be a JSON object")
        version = meta.get("schema_version")
        if version != MODEL_SCHEMA_VERSION:
            raise ModelStoreError(f"{mp}: schema_version: model schema {version!r} is not supported "
                                  f"(expected {MODEL_SCHEMA_VERSION}); refit the model")
        if meta.get("payload") != path.name:
            raise ModelStoreError(f"{mp}: payload: names {meta.get('payload')!r}, expected {path.name!r}")
        return path, meta

    def load(self, model: str | Path, expect_feature_version: int | None = None) -> tuple[Any, dict[str, Any]]:
        """Verify metadata, hash and HMAC, then unpickle the verified bytes."""
        import joblib

        path, meta = self.read_meta(model)
        if not path.is_file():
            raise ModelStoreError(f"{path}: no such model in the store")
        fs = meta.get("feature_schema") or {}
        if expect_feature_version is not None and fs.get("version") != expect_feature_version:
            raise ModelStoreError(f"{_meta_path(path)}: feature_schema.version: {fs.get('version')!r} is not "
                                  f"supported (expected {expect_feature_version}); refit the model")
        key = self._key(create=False)
        payload = path.read_bytes()  # hash these bytes and unpickle these same bytes: no re-read race
        digest = hashlib.sha256(payload).hexdigest()
        if not hmac.compare_digest(digest, str(meta.get("sha256", ""))):
            raise ModelStoreError(f"{path}: SHA-256 mismatch (file {digest[:12]}..., metadata "
                                  f"{str(meta.get('sha256', ''))[:12]}...): the model was modified; refusing to load")
        mac = hmac.new(key, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, str(meta.get("hmac_sha256", ""))):
            raise ModelStoreError(f"{path}: not signed by this store's key (copied from elsewhere or "
                                  f"tampered with); refusing to load")
        return joblib.load(io.BytesIO(payload)), meta


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name[: -len(SUFFIX)] + META_SUFFIX)
