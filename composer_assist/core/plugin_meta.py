"""Metadata of the Faust plugins (``NAME.json`` beside ``NAME.dsp``): kind, voices, tail, params.

Plain JSON, so the project loader can check parameter names and ranges without loading a plugin.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import PluginError

DEFAULT_VOICES = 8
DEFAULT_RELEASE_S = 0.5


def faust_meta(dsp: Path) -> dict:
    """The metadata JSON beside a Faust dsp, with defaults filled in (a fresh copy each call)."""
    side = Path(dsp).with_suffix(".json")
    mtime = side.stat().st_mtime_ns if side.exists() else 0
    return json.loads(_read(str(side), mtime))


@lru_cache(maxsize=64)
def _read(side_path: str, mtime: int) -> str:
    side = Path(side_path)
    meta: dict[str, Any] = {"name": side.stem, "kind": "instrument", "voices": DEFAULT_VOICES,
                            "release_s": DEFAULT_RELEASE_S, "params": {}}
    if mtime:
        try:
            data = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PluginError(f"{side}: cannot read plugin metadata: {exc}") from None
        if not isinstance(data, dict):
            raise PluginError(f"{side}: plugin metadata must be a JSON object")
        meta.update({k: v for k, v in data.items() if v is not None})
    if meta["kind"] not in ("instrument", "effect"):
        raise PluginError(f"{side}: kind: expected 'instrument' or 'effect', got {meta['kind']!r}")
    if not isinstance(meta["params"], dict):
        raise PluginError(f"{side}: params: expected an object")
    return json.dumps(meta)
