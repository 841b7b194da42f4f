"""The producer side of audio output: a lock-free single-producer single-consumer ring of float32
frames and the thread that keeps it a few blocks ahead of the device by calling the source.

The device side only ever copies out of the ring: rtmixer's C callback (through PortAudio's own
ring, :class:`PaRing`), a bare Python copy (:class:`FrameRing`), or NullOutput's consumer thread.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, Protocol

import numpy as np

TIMES = 4096  # how many recent render/callback durations the statistics keep


class BlockSource(Protocol):
    """What an output plays: a Player, or anything that renders blocks.

    ``render_block`` fills ``out`` ((frames, channels) float32, C-contiguous, frames <= the block
    size) with the next frames; it is called from ONE producer thread only.  A source may also
    define ``report_output(stats: OutputStats)``: the output calls it from that same producer
    thread a few times a second, and once more after stopping, with its underruns, latency and
    callback timing.
    """
    sample_rate: int
    channels: int

    def render_block(self, out: np.ndarray) -> None: ...


def _pow2(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


class FrameRing:
    """SPSC ring of (capacity, channels) float32 frames.  Each position counter is written by
    one thread only (the producer's ``_w``, the consumer's ``_r``); reads and writes are plain
    copies, so the consumer never waits for the producer."""

    def __init__(self, frames: int, channels: int) -> None:
        self.capacity = _pow2(frames)
        self.buf = np.zeros((self.capacity, channels), np.float32)
        self._bytes = memoryview(self.buf).cast("B")
        self.frame_bytes = channels * 4
        self._mask = self.capacity - 1
        self._w = 0
        self._r = 0

    def read_available(self) -> int:
        return self._w - self._r

    def write_available(self) -> int:
        return self.capacity - (self._w - self._r)

    def write(self, block: np.ndarray) -> None:
        n = len(block)
        if n > self.write_available():
            raise RuntimeError("ring buffer overflow (the producer wrote past the consumer)")
        pos = self._w & self._mask
        first = min(n, self.capacity - pos)
        self.buf[pos:pos + first] = block[:first]
        if n > first:
            self.buf[:n - first] = block[first:]
        self._w += n

    def read_into(self, out: np.ndarray) -> int:
        """Copy up to ``len(out)`` frames into ``out``; the number copied."""
        n = min(len(out), self._w - self._r)
        pos = self._r & self._mask
        first = min(n, self.capacity - pos)
        out[:first] = self.buf[pos:pos + first]
        if n > first:
            out[first:n] = self.buf[:n - first]
        self._r += n
        return n

    def read_bytes(self, out: Any, frames: int) -> int:
        """Copy up to ``frames`` frames into the writable buffer ``out`` (bytes); the number
        copied.  Only memoryview slice copies: no numpy call, no lock."""
        n = min(frames, self._w - self._r)
        fb = self.frame_bytes
        pos = self._r & self._mask
        first = min(n, self.capacity - pos)
        out[:first * fb] = self._bytes[pos * fb:(pos + first) * fb]
        if n > first:
            out[first * fb:n * fb] = self._bytes[:(n - first) * fb]
        self._r += n
        return n


class PaRing:
    """PortAudio's lock-free ring (``pa_ringbuffer``, as rtmixer's C callback reads it), with
    FrameRing's producer-side interface."""

    def __init__(self, frames: int, channels: int) -> None:
        import rtmixer

        self.capacity = _pow2(frames)
        self.rb = rtmixer.RingBuffer(channels * 4, self.capacity)

    def read_available(self) -> int:
        return self.rb.read_available

    def write_available(self) -> int:
        return self.rb.write_available

    def write(self, block: np.ndarray) -> None:
        if self.rb.write(block) != len(block):
            raise RuntimeError("ring buffer overflow (the producer wrote past the consumer)")


def raise_thread_priority() -> str:
    """Give the calling thread real-time priority (SCHED_FIFO 1) or, failing that, nice -10, so
    a loaded machine does not leave it waiting for a core while the ring drains.  Needs root or an
    rtprio/nice limit (e.g. the ``audio`` group's limits); returns what it got: "realtime",
    "raised" or "normal"."""
    tid = threading.get_native_id()
    try:
        os.sched_setscheduler(tid, os.SCHED_FIFO, os.sched_param(1))
        return "realtime"
    except (AttributeError, OSError):
        pass
    try:
        os.setpriority(os.PRIO_PROCESS, tid, -10)  # Linux: a thread's own nice value
        return "raised"
    except (AttributeError, OSError):
        return "normal"


def percentiles_us(times_ns: np.ndarray, count: int) -> tuple[float | None, float | None, float | None]:
    """(p50, p99, max) in microseconds of the last ``min(count, len(times_ns))`` durations."""
    if count <= 0:
        return None, None, None
    t = times_ns[:min(count, len(times_ns))] / 1000.0
    return float(np.percentile(t, 50)), float(np.percentile(t, 99)), float(t.max())


class Producer:
    """The one thread that calls ``source.render_block``: keeps ``ahead_blocks`` blocks in the
    ring, waking every half block period (or when ``wake`` is set), calls ``poll`` after each
    fill (the backend's housekeeping) and ``report`` every ``report_every`` seconds."""

    def __init__(self, source: BlockSource, ring: FrameRing | PaRing, block: int, ahead_blocks: int,
                 poll: Callable[[], None] | None = None, notify: Callable[[], None] | None = None,
                 report: Callable[[], None] | None = None, report_every: float = 0.25,
                 boost: bool = False, prime: int = 0) -> None:
        self.source, self.ring, self.block = source, ring, block
        self.target = block * ahead_blocks
        self.prime = prime  # extra frames rendered before the device starts (its first burst)
        self.scratch = np.zeros((block, source.channels), np.float32)
        self.render_ns = np.zeros(TIMES, np.int64)
        self.renders = 0
        self.frames_rendered = 0
        self.error: BaseException | None = None
        self.poll, self.notify, self.report, self.report_every = poll, notify, report, report_every
        self.boost, self.priority = boost, "normal"
        self.nap = min(max(block / source.sample_rate / 2, 0.001), 0.010)
        self.wake = threading.Event()
        self.primed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the thread and wait until the ring holds ``ahead_blocks`` blocks + ``prime`` (or the source
        failed: ``error`` is then set and the thread has ended)."""
        self._thread = threading.Thread(target=self._run, name="composer-assist-output-producer", daemon=True)
        self._thread.start()
        if not self.primed.wait(timeout) and self.error is None:
            self.error = TimeoutError(f"the source did not render {self.target} frames within {timeout:g} s")

    def fill(self, extra: int = 0) -> None:
        ring, block, scratch, target = self.ring, self.block, self.scratch, self.target + extra
        while ring.read_available() + block <= target and not self._stop.is_set():
            t0 = time.perf_counter_ns()
            self.source.render_block(scratch)
            self.render_ns[self.renders % TIMES] = time.perf_counter_ns() - t0
            self.renders += 1
            ring.write(scratch)
            self.frames_rendered += block
            if self.notify is not None:
                self.notify()

    def _run(self) -> None:
        try:
            if self.boost:
                self.priority = raise_thread_priority()
            self.fill(self.prime)
            self.primed.set()
            next_report = time.monotonic() + self.report_every
            while not self._stop.is_set():
                self.wake.clear()
                self.fill()
                if self.poll is not None:
                    self.poll()
                if self.report is not None and time.monotonic() >= next_report:
                    next_report += self.report_every
                    self.report()
                self.wake.wait(self.nap)
        except BaseException as exc:  # the source failed: the output plays silence from here
            self.error = exc
        finally:
            self.primed.set()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join()
