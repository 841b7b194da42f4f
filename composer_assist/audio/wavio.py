"""Writing and reading WAV files: float32 by default, written atomically."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import numpy as np

from composer_assist.core.atomic import atomic_file
from composer_assist.core.errors import RenderError


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int, subtype: str = "FLOAT",
              block: int = 1 << 16) -> Path:
    """Write ``audio`` shaped (channels, n) to ``path`` atomically, block by block (no full copy)."""
    import soundfile as sf

    audio = np.asarray(audio)
    with atomic_file(path) as fh:
        # The descriptor, not the Python file object: libsndfile then writes directly (3-4x faster).
        with sf.SoundFile(fh.fileno(), "w", int(sample_rate), audio.shape[0], subtype, format="WAV",
                          closefd=False) as out:
            for i in range(0, audio.shape[1], block):
                out.write(np.ascontiguousarray(audio[:, i:i + block].T, dtype=np.float32))
    return Path(path)


class WavStream:
    """A float32 WAV written block by block and put in place atomically by ``finish``.

    ``finish`` returns the written samples as ``WavFrames`` (read window by window on demand):
    figures computed from it read only what they need, so nothing grows with the file's length.
    """

    def __init__(self, path: str | Path, sample_rate: int, channels: int = 2) -> None:
        import soundfile as sf

        self.path = Path(path)
        self._stack = contextlib.ExitStack()
        fh = self._stack.enter_context(atomic_file(self.path))
        self._out = self._stack.enter_context(sf.SoundFile(fh.fileno(), "w", int(sample_rate), channels, "FLOAT",
                                                           format="WAV", closefd=False))

    def write(self, block: np.ndarray) -> None:
        self._out.write(block)

    def finish(self) -> "WavFrames":
        self._out.close()
        self._stack.close()  # fsync and rename
        return WavFrames(self.path)

    def abort(self) -> None:
        """Leave no file (and no temporary file) behind; the old file, if any, stays."""
        self._out.close()
        exc = RenderError(f"{self.path}: writing was abandoned")
        try:
            # atomic_file removes its temporary file when the block ends in an error.
            self._stack.__exit__(type(exc), exc, None)
        except RenderError:
            pass


class WavFrames:
    """A float32 WAV's samples read on demand: ``frames[a:b]`` reads those frames from the file.

    Unlike a memory map, the pages read do not stay in the process (a few-second window around
    each of a thousand transitions would otherwise add up to the whole file).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._offset, frames, channels = _wav_data(self.path)
        self.shape = (frames, channels)
        self.dtype = np.dtype("<f4")

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("WavFrames reads contiguous frame ranges: frames[a:b]")
        a, b, _ = key.indices(self.shape[0])
        n = max(0, b - a)
        with self.path.open("rb") as fh:
            fh.seek(self._offset + 4 * self.shape[1] * a)
            data = np.fromfile(fh, dtype="<f4", count=n * self.shape[1])
        return data.reshape(-1, self.shape[1])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype)


def _wav_data(path: Path) -> tuple[int, int, int]:
    """(byte offset of the samples, frames, channels) of a 32-bit float WAV."""
    with path.open("rb") as fh:
        head = fh.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise RenderError(f"{path}: not a WAV file")
        channels = None
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                raise RenderError(f"{path}: no audio data in the WAV file")
            kind, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if kind == b"fmt ":
                fmt = fh.read(size + (size & 1))
                tag, channels = struct.unpack("<HH", fmt[:4])
                bits = struct.unpack("<H", fmt[14:16])[0]
                if tag not in (3, 0xFFFE) or bits != 32:
                    raise RenderError(f"{path}: not a 32-bit float WAV")
            elif kind == b"data":
                if channels is None:
                    raise RenderError(f"{path}: WAV data before its format")
                return fh.tell(), size // (4 * channels), channels
            else:
                fh.seek(size + (size & 1), 1)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a WAV as float32 (channels, n) and its sample rate."""
    import soundfile as sf

    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as exc:
        raise RenderError(f"{path}: cannot read audio: {exc}") from None
    return np.ascontiguousarray(data.T), int(sr)
