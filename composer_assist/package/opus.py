"""Ogg/Opus files written with libopus directly (ctypes) and a small Ogg muxer (RFC 7845).

The encoder is the system's libopus (Debian ``libopus0``, the library ffmpeg and browsers' test
files use), called once per 20 ms frame from the thread that encodes the stem (ctypes releases the
GIL, so stems encode in parallel); the Ogg pages are built here.  Nothing random goes into a file:
the stream serial number comes from the file's name, so an export is the same bytes every time.

Sample-exact: the encoder's look-ahead is the OpusHead pre-skip, the input is padded with silence
to whole frames, and the last page's granule position ends the stream at exactly the input's
length (end trimming), so a conforming decoder returns the input's samples at their positions.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
import zlib
from functools import lru_cache

import numpy as np

from composer_assist.core.errors import PackageError

RATE = 48000
CHANNELS = 2
FRAME = 960  # 20 ms
MAX_PACKET = 1500  # bytes: an Opus packet of one frame is at most 1275
PACKETS_PER_PAGE = 50  # one second of audio per Ogg page (seek granularity)

_APPLICATION_AUDIO = 2049
_SET_BITRATE, _SET_VBR, _SET_COMPLEXITY, _GET_LOOKAHEAD = 4002, 4006, 4010, 4027


@lru_cache(maxsize=1)
def _libopus() -> ctypes.CDLL:
    name = ctypes.util.find_library("opus")
    try:
        lib = ctypes.CDLL(name or "libopus.so.0")
    except OSError:
        raise PackageError("--web needs libopus to encode the Opus stems: apt-get install libopus0") from None
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_encode_float.restype = ctypes.c_int32
    lib.opus_encode_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                      ctypes.c_int32]
    lib.opus_get_version_string.restype = ctypes.c_char_p
    return lib


def libopus_version() -> str:
    return _libopus().opus_get_version_string().decode("ascii", "replace")


def _ctl(lib: ctypes.CDLL, enc: int, request: int, value: int) -> None:
    if lib.opus_encoder_ctl(ctypes.c_void_p(enc), request, ctypes.c_int32(value)) != 0:
        raise PackageError(f"libopus refused setting {request} = {value}")


def encode_packets(audio: np.ndarray, bitrate: int, complexity: int) -> tuple[list[bytes], int]:
    """(Opus packets of 20 ms, pre-skip) for float32 ``audio`` (frames, 2) at 48 kHz, padded with
    silence so the decoded stream covers pre-skip + frames."""
    lib = _libopus()
    err = ctypes.c_int(0)
    enc = lib.opus_encoder_create(RATE, CHANNELS, _APPLICATION_AUDIO, ctypes.byref(err))
    if not enc or err.value != 0:
        raise PackageError(f"libopus could not create an encoder (error {err.value})")
    try:
        _ctl(lib, enc, _SET_BITRATE, bitrate)
        _ctl(lib, enc, _SET_VBR, 1)
        _ctl(lib, enc, _SET_COMPLEXITY, complexity)
        lookahead = ctypes.c_int32(0)
        lib.opus_encoder_ctl(ctypes.c_void_p(enc), _GET_LOOKAHEAD, ctypes.byref(lookahead))
        pre_skip = int(lookahead.value)
        frames = int(audio.shape[0])
        count = -(-(frames + pre_skip) // FRAME)
        pcm = np.zeros((count * FRAME, CHANNELS), dtype=np.float32)
        pcm[:frames] = audio
        out = ctypes.create_string_buffer(MAX_PACKET)
        encode, base, step = lib.opus_encode_float, pcm.ctypes.data, FRAME * CHANNELS * 4
        packets = []
        for k in range(count):
            n = encode(enc, base + k * step, FRAME, out, MAX_PACKET)
            if n < 0:
                raise PackageError(f"libopus could not encode frame {k} (error {n})")
            packets.append(out.raw[:n])
        return packets, pre_skip
    finally:
        lib.opus_encoder_destroy(enc)


# Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, initial value 0) from zlib's reflected one:
# with every byte's bits reversed, zlib's CRC of the data less its CRC of as many zeros (which
# cancels zlib's initial value and final XOR) is Ogg's CRC with its 32 bits reversed.
_REVERSED_BYTES = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def ogg_crc(page: bytes) -> int:
    raw = zlib.crc32(page.translate(_REVERSED_BYTES)) ^ zlib.crc32(bytes(len(page)))
    return int(f"{raw:032b}"[::-1], 2)


def _page(body_packets: list[bytes], flags: int, granule: int, serial: int, sequence: int) -> bytes:
    lacing = bytearray()
    for p in body_packets:
        lacing += b"\xff" * (len(p) // 255) + bytes([len(p) % 255])
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, sequence, 0, len(lacing))
    page = header + bytes(lacing) + b"".join(body_packets)
    return page[:22] + struct.pack("<I", ogg_crc(page)) + page[26:]


def _segments(packet: bytes) -> int:
    return len(packet) // 255 + 1


def ogg_opus(packets: list[bytes], pre_skip: int, frames: int, serial: int, vendor: str) -> bytes:
    """An Ogg/Opus stream (stereo, 48 kHz) of ``packets`` whose decoded length is ``frames``."""
    head = struct.pack("<8sBBHIhB", b"OpusHead", 1, CHANNELS, pre_skip, RATE, 0, 0)
    v = vendor.encode("utf-8")
    tags = b"OpusTags" + struct.pack("<I", len(v)) + v + struct.pack("<I", 0)
    pages = [_page([head], 0x02, 0, serial, 0), _page([tags], 0x00, 0, serial, 1)]
    body: list[bytes] = []
    done = segments = 0
    for i, p in enumerate(packets):
        if len(body) == PACKETS_PER_PAGE or segments + _segments(p) > 255:
            pages.append(_page(body, 0x00, done * FRAME, serial, len(pages)))
            body, segments = [], 0
        body.append(p)
        segments += _segments(p)
        done = i + 1
    pages.append(_page(body, 0x04, pre_skip + frames, serial, len(pages)))  # EOS, end-trimmed
    return b"".join(pages)
