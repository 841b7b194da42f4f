"""The plugin scan's cache file (``<cache>/plugins.json``), read without loading any plugin.

``audio.scan`` writes it after probing each plugin in a worker process; the editor reads it to
check a VST parameter name, a value and an instrument/effect role when an edit is made, instead
of a render finding out 15 s later.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SCAN_CACHE_SCHEMA = 2  # 2: VST parameters carry the text of their range (min_text, max_text)
SCAN_CACHE_FILE = "plugins.json"


def cache_dir() -> Path:
    """``$COMPOSER_ASSIST_CACHE`` or ``~/.cache/composer-assist``."""
    env = os.environ.get("COMPOSER_ASSIST_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "composer-assist"


def read_scan_cache(folder: Path | None = None) -> dict[str, dict]:
    """Scanned plugins by path (as ``audio.scan.PluginInfo`` JSON); empty when there is no usable scan."""
    path = (folder or cache_dir()) / SCAN_CACHE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("schema") != SCAN_CACHE_SCHEMA:
        return {}
    plugins = data.get("plugins")
    return plugins if isinstance(plugins, dict) else {}


def scanned_entry(plugin_path: Path, cache: dict[str, dict]) -> dict | None:
    """The scan entry of the plugin file at ``plugin_path`` (the same file through any link), or None."""
    entry = cache.get(str(plugin_path))
    if isinstance(entry, dict):
        return entry
    real = os.path.realpath(plugin_path)
    for key, entry in cache.items():
        if isinstance(entry, dict) and os.path.realpath(key) == real:
            return entry
    return None
