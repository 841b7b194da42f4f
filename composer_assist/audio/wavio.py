"""Writing and reading WAV files: float32 by default, written atomically."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from composer_assist.core.atomic import atomic_write_bytes
from composer_assist.core.errors import RenderError


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int, subtype: str = "FLOAT") -> Path:
    """Write ``audio`` shaped (channels, n) to ``path`` (temp file, fsync, rename)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.ascontiguousarray(np.asarray(audio, dtype=np.float32).T), int(sample_rate),
             format="WAV", subtype=subtype)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a WAV as float32 (channels, n) and its sample rate."""
    import soundfile as sf

    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as exc:
        raise RenderError(f"{path}: cannot read audio: {exc}") from None
    return np.ascontiguousarray(data.T), int(sr)
