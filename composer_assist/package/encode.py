"""Encoding stems for a package: FLAC 24-bit (lossless, exact) and Ogg/Opus 48 kHz (browsers).

FLAC: samples are quantised here to 24 bits (round(x * 2**23)), so decoding gives exactly
q / 2**23 and two exports of the same stems are the same bytes.  Opus: the same 24-bit values
through libopus, in Ogg pages written here (``opus.py``; libsndfile's Opus writer picks a random
Ogg serial number, so its files differ run to run, and it is 3x slower; ffmpeg costs half as much
CPU again as the encoder itself); the OpusHead pre-skip and the final granule position make a
conforming decoder return exactly the input's samples, at the input's positions.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

import numpy as np

from composer_assist.core.errors import PackageError

from .manifest import AudioFile
from .opus import FRAME as OPUS_FRAME
from .opus import RATE as OPUS_RATE
from .opus import encode_packets, libopus_version, ogg_opus

FULL_SCALE = 2 ** 23  # 24-bit
OPUS_BITRATE = 160_000
OPUS_COMPLEXITY = 5  # of 0..10: libopus's quality/speed middle (export speed, benchmarks/export.py)


def stem_scale(audio: np.ndarray) -> float:
    """1, or the power of two that brings a stem over full scale back under it."""
    peak = float(max(audio.max(initial=0.0), -audio.min(initial=0.0))) if audio.size else 0.0
    return 1.0 if peak < 1.0 else float(2.0 ** math.ceil(math.log2(peak * (1.0 + 1e-6))))


def quantise(audio: np.ndarray, scale: float = 1.0, overwrite: bool = False) -> np.ndarray:
    """(frames, 2) int32 holding the 24-bit values round(x / scale * 2**23), left-justified (x 256)
    as libsndfile takes 24-bit data in int32 (float32 in place: a stem is large; with ``overwrite``
    in ``audio`` itself, a float32 array the caller no longer needs)."""
    q = audio if overwrite else np.empty(audio.shape, dtype=np.float32)
    np.multiply(audio, np.float32(FULL_SCALE / scale), out=q, dtype=np.float32)
    np.rint(q, out=q)
    np.clip(q, -FULL_SCALE, FULL_SCALE - 1, out=q)
    out = q.astype(np.int32)
    np.left_shift(out, 8, out=out)
    return out


def dequantise(q: np.ndarray) -> np.ndarray:
    """The float32 samples a decoder gives for left-justified 24-bit values ``q`` (exact: q / 2**31
    in float32 keeps the 24 significant bits, and the scale is a power of two)."""
    return np.multiply(q, np.float32(2.0 ** -31), dtype=np.float32)


def write_flac(path: Path, q: np.ndarray, sample_rate: int, rel: str) -> AudioFile:
    """Write left-justified 24-bit values ``q`` (frames, 2) as FLAC."""
    import soundfile as sf

    sf.write(str(path), q, sample_rate, format="FLAC", subtype="PCM_24")
    return AudioFile(path=rel, codec="flac", bits=24)


def write_opus(path: Path, q: np.ndarray, sample_rate: int, rel: str) -> AudioFile:
    """Encode left-justified 24-bit (frames, 2) values at 48 kHz as Ogg/Opus, deterministically:
    the same samples as the FLAC stem (``opus.py``)."""
    if sample_rate != OPUS_RATE:
        raise PackageError(f"web stems are Opus at {OPUS_RATE} Hz; this project renders at {sample_rate} Hz")
    frames = int(q.shape[0])
    audio = dequantise(q)  # the FLAC's values
    packets, pre_skip = encode_packets(audio, OPUS_BITRATE, OPUS_COMPLEXITY)
    del audio
    serial = zlib.crc32(rel.encode("utf-8"))  # fixed per file: the same bytes every export
    data = ogg_opus(packets, pre_skip, frames, serial, libopus_version())
    with open(path, "wb") as fh:
        fh.write(data)
    if opus_header_and_end(data, path.name) != (pre_skip, pre_skip + frames):
        raise PackageError(f"{path.name}: Opus stream does not hold the {frames} samples it was given")
    padding = (-(frames + pre_skip)) % OPUS_FRAME
    return AudioFile(path=rel, codec="opus", bitrate=OPUS_BITRATE, pre_skip=pre_skip, padding=padding)


def opus_header_and_end(data: bytes, name: str) -> tuple[int, int]:
    """(pre-skip, final granule position) of an Ogg/Opus file."""
    i = data.find(b"OpusHead")
    if i < 0 or len(data) < i + 12:
        raise PackageError(f"{name}: not an Ogg/Opus file (no OpusHead)")
    pre_skip = struct.unpack_from("<H", data, i + 10)[0]
    j = data.rfind(b"OggS")
    if j < 0 or len(data) < j + 14:
        raise PackageError(f"{name}: not an Ogg file (no page)")
    granule = struct.unpack_from("<q", data, j + 6)[0]
    return pre_skip, granule
