"""NullOutput: the producer/ring path with no device delivers exactly what the source rendered,
and its real-time mode is paced by the clock."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from composer_assist.audio.output import NullOutput, OutputStats

from output_testkit import MusicSource, reference


def _output_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("composer-assist-output")]


@pytest.mark.parametrize("block,ahead", [(512, 4), (128, 2), (300, 3)])
def test_fast_null_output_is_bit_identical_to_the_offline_render(block, ahead):
    frames = 3 * 48000 + 77  # not a whole number of blocks: the last one is partial
    got: list[np.ndarray] = []
    src = MusicSource()
    stats = NullOutput(src, block=block, ahead_blocks=ahead, sink=lambda b: got.append(b.copy())).run(frames, timeout=60)
    played = np.concatenate(got)
    assert played.dtype == np.float32 and played.shape == (frames, 2)
    assert np.array_equal(played, reference(frames, block))  # bit-identical, no sample lost or repeated
    assert all(len(b) <= block for b in got)
    assert stats.frames_played == frames and stats.underruns == 0 and stats.error is None
    assert stats.frames_rendered >= frames and stats.backend == "null" and not stats.running
    assert src.reports and isinstance(src.reports[-1], OutputStats)  # told its statistics, finally too
    assert _output_threads() == []


@pytest.mark.realtime
def test_realtime_null_output_is_paced_at_the_sample_rate():
    src = MusicSource()
    seconds = 3.0
    out = NullOutput(src, block=512, ahead_blocks=4, realtime=True)
    t0 = time.perf_counter()
    out.start(frames=int(seconds * src.sample_rate))
    assert out.wait(timeout=30)
    elapsed = time.perf_counter() - t0
    out.close()
    stats = out.stats()
    assert out.delivered == int(seconds * src.sample_rate)  # played, or silence where the ring ran dry
    assert abs(elapsed / seconds - 1.0) < 0.02, f"{seconds} s of audio took {elapsed:.3f} s"
    # The producer stays ahead: it never renders more than ahead_blocks past the consumer.
    assert stats.frames_rendered - stats.frames_played <= 4 * 512
    assert _output_threads() == []


def test_a_failing_source_is_reported_and_stops_everything():
    class Broken(MusicSource):
        def render_block(self, out):
            if self.blocks == 10:
                raise ValueError("mixer exploded")
            super().render_block(out)

    out = NullOutput(Broken(), block=256)
    with pytest.raises(ValueError, match="mixer exploded"):
        out.run(48000, timeout=10)
    assert "mixer exploded" in out.stats().error
    assert _output_threads() == []


@pytest.mark.realtime
def test_one_stall_counts_one_underrun_however_many_blocks_it_lasts():
    """The null output counted every dry block (a 150 ms stall: ~14) where rtmixer counts one
    dropout: the same stall read as 14 underruns on one backend and 1 on another."""
    class Stalls(MusicSource):
        def render_block(self, out):
            if self.blocks == 40:
                time.sleep(0.15)
            super().render_block(out)

    out = NullOutput(Stalls(), block=512, ahead_blocks=4, realtime=True)
    stats = out.run(2 * 48000, timeout=30)
    assert stats.ring_underruns == 1, stats
