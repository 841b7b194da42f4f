"""User settings shared by the command line and the app: cache and model folders, audio device,
block size.  JSON with a schema version in ``$XDG_CONFIG_HOME/composer-assist/settings.json``
(``~/.config`` by default), saved atomically; a value missing or ``null`` means the default.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from composer_assist.core.atomic import atomic_write_json
from composer_assist.core.errors import ComposerAssistError
from composer_assist.core.fields import unprintable
from composer_assist.core.reading import MiB, read_limited
from composer_assist.core.suggest import did_you_mean

SETTINGS_SCHEMA = 1
BLOCK_SIZES = (64, 128, 256, 512, 1024, 2048, 4096)
DEFAULT_BLOCK = 512


class SettingsError(ComposerAssistError):
    """The settings file is malformed, or a setting is given a value it cannot take."""


@dataclass
class Settings:
    cache_dir: str | None = None  # stems, tails, plugin scan (None: $COMPOSER_ASSIST_CACHE or ~/.cache/...)
    model_dir: str | None = None  # listener model store (None: $COMPOSER_ASSIST_MODELS or ~/.local/share/...)
    audio_device: str | None = None  # output device name or index (None: the system default)
    block_size: int = DEFAULT_BLOCK  # frames per audio block

    def apply_to_environment(self) -> None:
        """Point the layers below at the chosen folders (they read the environment), unless already set."""
        for key, value in (("COMPOSER_ASSIST_CACHE", self.cache_dir), ("COMPOSER_ASSIST_MODELS", self.model_dir)):
            if value:
                os.environ.setdefault(key, str(Path(value).expanduser()))


def settings_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "composer-assist" / "settings.json"


def _check(name: str, value: Any, where: str) -> Any:
    if name == "block_size":
        if isinstance(value, bool) or not isinstance(value, int) or value not in BLOCK_SIZES:
            raise SettingsError(f"{where}: block_size: {value!r} is not one of {', '.join(map(str, BLOCK_SIZES))}")
        return value
    if name == "audio_device" and isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise SettingsError(f"{where}: audio_device: {value} is no device number (see `composer-assist devices`)")
        return str(value)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise SettingsError(f"{where}: {name}: expected a non-empty text or null, got {json.dumps(value)}")
    odd = None if value is None else unprintable(value)
    if odd is not None:  # a NUL in a folder name stopped every command at start, in os.environ
        raise SettingsError(f"{where}: {name}: contains {odd}")
    return value


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings (defaults when there is no file); errors name the file and the key."""
    p = path or settings_path()
    if not p.exists():
        return Settings()
    try:
        data = json.loads(read_limited(p, MiB, SettingsError, "settings file"))
    except ValueError as exc:
        raise SettingsError(f"{p}: not valid JSON: {exc} (fix it, or delete the file for the defaults)") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{p}: expected a JSON object")
    version = data.get("schema_version")
    if type(version) is not int or version != SETTINGS_SCHEMA:  # true == 1 in Python, not in the file
        raise SettingsError(f"{p}: schema_version: {data.get('schema_version')!r} is not supported "
                            f"(this Composer Assist reads {SETTINGS_SCHEMA})")
    known = [f.name for f in fields(Settings)]
    out = Settings()
    for key, value in data.items():
        if key == "schema_version":
            continue
        if key not in known:
            raise SettingsError(f"{p}: unknown setting {key!r}; {did_you_mean(key, known)}settings: {', '.join(known)}")
        if value is not None or key != "block_size":
            setattr(out, key, _check(key, value, str(p)))
    return out


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    p = path or settings_path()
    for f in fields(Settings):
        _check(f.name, getattr(settings, f.name), "settings")
    atomic_write_json(p, {"schema_version": SETTINGS_SCHEMA, **asdict(settings)}, announce=False)
    return p


def update_setting(name: str, text: str, path: Path | None = None) -> Settings:
    """Set one setting from text (``none`` clears it) and save."""
    known = [f.name for f in fields(Settings)]
    if name not in known:
        raise SettingsError(f"{name}: no such setting; {did_you_mean(name, known)}settings: {', '.join(known)}")
    settings = load_settings(path)
    value: Any = None if text.strip().lower() in ("", "none", "null", "default") else text
    if name == "block_size":
        try:
            value = DEFAULT_BLOCK if value is None else int(text)
        except ValueError:
            raise SettingsError(f"block_size: expected a whole number, got {text!r}") from None
    if name in FOLDERS and value is not None:
        value = _folder(name, value)
    setattr(settings, name, _check(name, value, "settings"))
    save_settings(settings, path)
    return settings


FOLDERS = ("cache_dir", "model_dir")


def _folder(name: str, text: str) -> str:
    """A folder setting as an absolute path (a relative one would follow every command's working
    folder), made now if missing, and writable: a mistyped path is said here, not at the next render."""
    folder = Path(text.strip()).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise SettingsError(f"{name}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"{name}: cannot make the folder {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingsError(f"{name}: the folder {folder} is not writable")
    return str(folder)
