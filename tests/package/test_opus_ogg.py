"""The Ogg/Opus writer (package/opus.py) against independent tools: ffmpeg's own Ogg pages and
ffmpeg's decoder."""

from __future__ import annotations

import shutil
import struct
import subprocess

import numpy as np
import pytest

from composer_assist.package.encode import quantise, write_opus
from composer_assist.package.opus import FRAME, ogg_crc

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs Debian's ffmpeg")


def _pages(data: bytes) -> list[tuple[int, int, bytes]]:
    """(header type, granule position, page bytes) of every page."""
    out, i = [], 0
    while i < len(data):
        assert data[i:i + 4] == b"OggS"
        n = data[i + 26]
        size = 27 + n + sum(data[i + 27:i + 27 + n])
        out.append((data[i + 5], struct.unpack_from("<q", data, i + 6)[0], data[i:i + size]))
        i += size
    return out


def test_ogg_crc_equals_the_crc_of_pages_ffmpeg_wrote(tmp_path):
    ogg = tmp_path / "ref.ogg"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
                    "-c:a", "libopus", str(ogg)], check=True)
    pages = _pages(ogg.read_bytes())
    assert len(pages) >= 3
    for _, _, page in pages:
        blank = page[:22] + b"\0\0\0\0" + page[26:]
        assert ogg_crc(blank) == struct.unpack_from("<I", page, 22)[0]


def test_ffmpeg_decodes_our_stream_to_exactly_its_samples_at_their_positions(tmp_path):
    frames = 48000 * 3 + 123  # not whole frames: end trimming must cut the padding
    t = np.arange(frames) / 48000
    x = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)], 1).astype(np.float32)
    x[:4800] = 0.0
    x[4800] = 0.5  # a click 100 ms in: where it comes back says the alignment
    f = write_opus(tmp_path / "x.opus", quantise(x), 48000, "stems/x.opus")
    data = (tmp_path / "x.opus").read_bytes()
    pages = _pages(data)
    assert pages[0][0] == 0x02 and pages[-1][0] == 0x04  # begins and ends the stream
    assert pages[-1][1] == f.pre_skip + frames and (f.pre_skip + frames + f.padding) % FRAME == 0
    assert all(a[1] <= b[1] for a, b in zip(pages, pages[1:]))
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "x.opus"), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    y = np.frombuffer(out, dtype=np.float32).reshape(-1, 2)
    assert y.shape == x.shape
    assert int(np.argmax(np.abs(y[:9600, 0]))) == 4800
    err = y[9600:] - x[9600:]
    assert 10 * np.log10(np.sum(x[9600:] ** 2) / np.sum(err ** 2)) > 20  # the codec at 160 kb/s
    assert write_opus(tmp_path / "y.opus", quantise(x), 48000, "stems/x.opus") == f
    assert (tmp_path / "y.opus").read_bytes() == data  # deterministic
