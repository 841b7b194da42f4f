"""The model store: the one folder preference models are saved to and loaded from.

A model is ``NAME.joblib`` (the pickled estimator) plus ``NAME.meta.json``: schema version,
feature schema, library versions, the payload's SHA-256 and an HMAC-SHA256 over all of that
metadata under the *user's* secret key.  The key lives outside every store and project
(``$XDG_DATA_HOME/composer-assist/store.key``, default ``~/.local/share/...``; override with
``$COMPOSER_ASSIST_KEY_FILE``), so a project folder downloaded with its own models, keys and
metadata cannot make us unpickle anything: only models this user saved on this machine verify.
Loading reads the metadata, refuses paths outside the store (symlinks included), other schema
versions, hash or HMAC mismatches -- and only then unpickles the bytes it has just verified.
Share profiles as JSON instead (``export-profiles``).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import platform
import re
import secrets
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from composer_assist.core.atomic import atomic_write_bytes, atomic_write_json
from composer_assist.core.errors import ModelStoreError

MODEL_SCHEMA_VERSION = 2  # 2: the HMAC covers the metadata and uses the per-user key
SUFFIX = ".joblib"
META_SUFFIX = ".meta.json"
KEY_ENV = "COMPOSER_ASSIST_KEY_FILE"
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "composer-assist"


def key_path() -> Path:
    """The per-user signing key: $COMPOSER_ASSIST_KEY_FILE, else DATA_HOME/composer-assist/store.key."""
    env = os.environ.get(KEY_ENV)
    return Path(env).expanduser().absolute() if env else _data_home() / "store.key"


def user_key(create: bool) -> bytes:
    """Read (or atomically create, mode 0600 from the start) this user's secret signing key."""
    kp = key_path()
    for _attempt in range(2):
        try:
            fd = os.open(kp, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            if not create:
                raise ModelStoreError(f"{kp}: no signing key: this user has saved no model on this machine, so "
                                      f"no model can be loaded (refit it here, or share profiles as JSON)") from None
            _create_key(kp)
            continue
        except OSError as exc:
            raise ModelStoreError(f"{kp}: cannot read the signing key ({exc.strerror}; it must be a regular "
                                  f"file, not a symlink)") from None
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
                raise ModelStoreError(f"{kp}: the signing key must be a regular file owned by you with mode 0600 "
                                      f"(found mode {stat.S_IMODE(st.st_mode):o}); refusing to trust it")
            key = fh.read().strip()
        if len(key) < 32:
            raise ModelStoreError(f"{kp}: the signing key is truncated ({len(key)} bytes); delete it and refit")
        return key
    raise ModelStoreError(f"{kp}: could not create the signing key")


def _create_key(kp: Path) -> None:
    kp.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Write a private temp file in full, then link it into place: readers never see a half-written
    # key and O_EXCL/link fail rather than overwrite a key another process created meanwhile.
    tmp = kp.with_name(f".{kp.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode() + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, kp)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def _signature(key: bytes, meta: dict[str, Any]) -> str:
    """HMAC over every metadata field but the signature itself (the payload via its sha256)."""
    body = {k: v for k, v in meta.items() if k != "hmac_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


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
        """The payload path of a model given by a plain name (letters, digits, ``-_.``, not starting
        with ``.``) or by a path -- absolute, or relative to the current folder -- inside the store."""
        text = str(model)
        if not text.strip():
            raise ModelStoreError("model name is empty (give a name such as 'taste')")
        m = Path(text)
        name = m.name
        for suffix in (META_SUFFIX, SUFFIX):
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

    def _key(self, create: bool) -> bytes:
        kp = key_path()
        if kp.resolve().is_relative_to(self.root.resolve()):
            raise ModelStoreError(f"{kp}: the signing key must not live inside the model store {self.root} "
                                  f"(a store or project could then ship its own key)")
        return user_key(create)

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
            "bytes": len(payload),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": library_versions(),
            "feature_schema": getattr(model, "feature_schema_", None),
            **(extra or {}),
        }
        meta["hmac_sha256"] = _signature(key, meta)
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
        mp = _meta_path(path)
        key = self._key(create=False)
        if not hmac.compare_digest(_signature(key, meta), str(meta.get("hmac_sha256", ""))):
            raise ModelStoreError(f"{mp}: not signed with your key on this machine (the model was copied from "
                                  f"another machine or user, or its metadata was edited); refusing to load it -- "
                                  f"refit it here, or share profiles as JSON (learn export-profiles)")
        payload = path.read_bytes()  # hash these bytes and unpickle these same bytes: no re-read race
        digest = hashlib.sha256(payload).hexdigest()
        if not hmac.compare_digest(digest, str(meta.get("sha256", ""))):
            raise ModelStoreError(f"{path}: SHA-256 mismatch (file {digest[:12]}..., metadata "
                                  f"{str(meta.get('sha256', ''))[:12]}...): the model was modified; refusing to load")
        fs = meta.get("feature_schema") or {}
        if expect_feature_version is not None and (not isinstance(fs, dict) or fs.get("version") != expect_feature_version):
            raise ModelStoreError(f"{mp}: feature_schema.version: {fs.get('version') if isinstance(fs, dict) else fs!r} "
                                  f"is not supported (expected {expect_feature_version}); refit the model")
        return joblib.load(io.BytesIO(payload)), meta


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name[: -len(SUFFIX)] + META_SUFFIX)
