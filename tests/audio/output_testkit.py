"""Block sources for the audio-output tests: deterministic per frame, whatever the block size."""

from __future__ import annotations

import numpy as np


class MusicSource:
    """An A-major chord with a slow swell, plus a rising chirp and a little hashed noise; every
    frame depends only on its index, so any block sizes give the same samples."""
    sample_rate = 48000
    channels = 2

    def __init__(self, sample_rate: int = 48000, noise: float = 0.02) -> None:
        self.sample_rate = sample_rate
        self.noise = noise
        self.pos = 0
        self.blocks = 0
        self.reports = []

    def render_block(self, out: np.ndarray) -> None:
        n = np.arange(self.pos, self.pos + len(out), dtype=np.int64)
        t = n / self.sample_rate
        env = 0.5 + 0.4 * np.sin(2 * np.pi * 0.37 * t)
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) / 3
        chirp = np.sin(2 * np.pi * (150 * t + 40 * t * t))
        hashed = ((n * 2654435761) % 4294967296) / 4294967296.0 - 0.5
        left = 0.35 * env * chord + 0.15 * chirp + self.noise * hashed
        out[:, 0] = left
        out[:, 1] = 0.8 * left - 0.1 * chirp
        self.pos += len(out)
        self.blocks += 1

    def report_output(self, stats) -> None:
        self.reports.append(stats)


def reference(frames: int, block: int, **kw) -> np.ndarray:
    """What a fresh MusicSource renders in ``frames`` frames, called block by block."""
    src = MusicSource(**kw)
    out = np.zeros((frames, 2), np.float32)
    for i in range(0, frames, block):
        src.render_block(out[i:i + block])
    return out
