"""Play any block source (the Player, a test signal) on an audio device, or on no device.

A producer thread renders ``ahead_blocks`` blocks ahead into a preallocated float32 ring
(:mod:`composer_assist.audio.ring`); the device side only copies out of it:

- ``rtmixer`` (preferred): a C callback drains PortAudio's lock-free ring; it never takes the
  GIL, so a busy Python thread or the garbage collector cannot make it late.  When the ring runs
  dry the callback drops the ring (silence); the producer counts an underrun and hands it back.
- ``sounddevice`` (fallback, when rtmixer cannot be imported): a ``RawOutputStream`` whose Python
  callback does two memoryview copies and a few counter updates.  It needs the GIL, so another
  busy Python thread can delay it by up to ``sys.getswitchinterval()`` (5 ms).

:class:`NullOutput` drives the same producer and ring with no device, paced at real time or as
fast as possible, and hands what it consumed to a sink (tests compare it to an offline render).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from composer_assist.audio.backends import open_backend
from composer_assist.audio.devices import check_format, enable_realtime_priority, find_device, open_error, sounddevice
from composer_assist.audio.ring import TIMES, BlockSource, FrameRing, PaRing, Producer, percentiles_us
from composer_assist.core.errors import AudioDeviceError

__all__ = ["BlockSource", "OutputStats", "DeviceOutput", "NullOutput"]


@dataclass(frozen=True)
class OutputStats:
    """What an output tells its source (and the Player's status)."""
    backend: str                 # "rtmixer", "sounddevice", "null" or "null-realtime"
    device: str | None
    sample_rate: int
    block: int
    ahead_blocks: int
    running: bool
    frames_rendered: int         # frames the source rendered into the ring
    frames_played: int           # frames the device (or the null consumer) took from the ring
    ring_underruns: int          # dropouts: times the device found the ring short (silence was played),
                                 # one however long it lasted (every backend counts alike)
    device_underflows: int       # PortAudio's output-underflow flags (the device itself ran dry)
    output_latency: float        # s, the device's own latency as PortAudio reports it
    buffered: float              # s, rendered but not yet taken by the device
    callback_p50_us: float | None = None  # the device-side copy, where measurable (not in C)
    callback_p99_us: float | None = None
    callback_max_us: float | None = None
    cpu_load: float | None = None          # PortAudio's estimate of callback time / block period
    render_p99_us: float | None = None     # source.render_block, measured in the producer
    render_max_us: float | None = None
    error: str | None = None               # the source's exception, if it failed
    priority: str = "normal"               # the producer thread's: "realtime", "raised" or "normal"

    @property
    def underruns(self) -> int:
        return self.ring_underruns + self.device_underflows

    @property
    def latency(self) -> float:
        """Seconds from rendering a frame to hearing it: the ring ahead plus the device."""
        return self.buffered + self.output_latency


def _check_common(source: BlockSource, block: int, ahead_blocks: int) -> None:
    for attr in ("sample_rate", "channels", "render_block"):
        if not hasattr(source, attr):
            raise TypeError(f"an output source needs .{attr} (see BlockSource)")
    if not isinstance(ahead_blocks, int) or ahead_blocks < 2:
        raise AudioDeviceError(f"ahead_blocks must be a whole number >= 2, not {ahead_blocks!r}")
    if not isinstance(block, int) or block < 1:
        raise AudioDeviceError(f"block size must be a positive whole number of frames, not {block!r}")


class _Output:
    """What DeviceOutput and NullOutput share: the producer, start/stop, statistics."""
    backend_name = ""
    device_name: str | None = None

    def __init__(self, source: BlockSource, block: int, ahead_blocks: int) -> None:
        self.source, self.block, self.ahead_blocks = source, block, ahead_blocks
        self._producer: Producer | None = None
        self._rendered_before = 0
        self._reporter = getattr(source, "report_output", None)

    def _start_producer(self, ring: FrameRing | PaRing, poll=None, notify=None, boost: bool = False,
                        prime: int = 0) -> Producer:
        report = (lambda: self._reporter(self.stats())) if self._reporter else None
        p = Producer(self.source, ring, self.block, self.ahead_blocks, poll=poll, notify=notify, report=report,
                     boost=boost, prime=prime)
        if self._producer is not None:  # started again: the counts go on
            self._rendered_before += self._producer.frames_rendered
        self._producer = p
        p.start()
        if p.error is not None:
            p.stop()
            raise p.error
        return p

    def _stop_producer(self) -> None:
        if self._producer is not None:
            self._producer.stop()

    def _report_final(self) -> None:
        if self._reporter is not None and self._producer is not None:
            self._reporter(self.stats())

    def _device_side(self) -> dict:  # overridden: the consumer's counters
        return {}

    def stats(self) -> OutputStats:
        p = self._producer
        d = self._device_side()
        rendered = self._rendered_before + (p.frames_rendered if p else 0)
        render = percentiles_us(p.render_ns, p.renders) if p else (None, None, None)
        cb = d.get("cb", (None, None, None))
        err = p.error if p else None
        return OutputStats(
            backend=self.backend_name, device=self.device_name, sample_rate=int(self.source.sample_rate),
            block=self.block, ahead_blocks=self.ahead_blocks, running=bool(p and p.alive() and d.get("active")),
            frames_rendered=rendered, frames_played=d.get("played", 0), ring_underruns=d.get("dry", 0),
            device_underflows=d.get("flags", 0), output_latency=d.get("latency", 0.0),
            buffered=max(0, rendered - d.get("played", 0)) / self.source.sample_rate,
            callback_p50_us=cb[0], callback_p99_us=cb[1], callback_max_us=cb[2], cpu_load=d.get("cpu"),
            render_p99_us=render[1], priority=p.priority if p else "normal",
            render_max_us=render[2], error=f"{type(err).__name__}: {err}" if err else None)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class DeviceOutput(_Output):
    """Play ``source`` on an audio device.  ``device``: name, part of a name, or index
    (``None``: the default output); ``block``: frames per device callback; ``ahead_blocks``:
    blocks rendered ahead (more survives longer stalls of the producer, but a command reaches
    the output later); ``latency``: PortAudio's ``"low"``, ``"high"`` or seconds.

    The device is opened here (so a busy or missing device, or an unsupported rate, fails at
    once with an AudioDeviceError and nothing left running); ``start`` primes the ring and starts
    playing; ``stop``/``close`` (or leaving the ``with`` block) stop both threads.
    """

    def __init__(self, source: BlockSource, device: str | int | None = None, block: int = 512,
                 ahead_blocks: int = 4, latency: str | float = "low", backend: str = "auto",
                 realtime_priority: bool = True) -> None:
        _check_common(source, block, ahead_blocks)
        super().__init__(source, block, ahead_blocks)
        self.device = find_device(device)
        check_format(self.device, int(source.sample_rate), int(source.channels), block)
        self._backend = open_backend(backend, self.device, int(source.sample_rate), int(source.channels),
                                      block, latency, block * ahead_blocks)
        self.backend_name, self.device_name = self._backend.name, self.device.name
        self._realtime = realtime_priority
        self._started = self._closed = False

    def start(self) -> None:
        if self._closed:
            raise AudioDeviceError(f"audio output on {self.device.label()} is closed: open a new one")
        if self._started:
            return
        self._start_producer(self._backend.ring, poll=self._backend.poll, boost=self._realtime,
                             prime=self._backend.prime)
        if self._realtime:
            enable_realtime_priority(self._backend.stream, self.device.hostapi)
        try:
            self._backend.start()
        except Exception as exc:
            self._stop_producer()
            sd = sounddevice()
            if isinstance(exc, sd.PortAudioError):
                raise open_error(exc, self.device, int(self.source.sample_rate), self.block) from None
            raise
        self._started = True

    def _device_side(self) -> dict:
        return self._backend.counters()

    def stop(self) -> None:
        """Stop playing at once (what is still in the ring is dropped)."""
        if not self._started:
            return
        self._stop_producer()  # first, so the draining ring is not counted as an underrun
        self._backend.stop()
        self._started = False
        self._report_final()

    def close(self) -> None:
        if self._closed:
            return
        self.stop()
        self._backend.close()
        self._closed = True


class NullOutput(_Output):
    """The producer/ring path with no device.  ``realtime=True``: a consumer thread takes one
    block per block period (underruns counted, as a device would); ``False``: as fast as the
    source renders.  ``sink(frames)`` gets each consumed block ((n, channels) float32 view,
    valid only during the call).  ``run(frames=...)`` plays exactly that many frames."""

    def __init__(self, source: BlockSource, block: int = 512, ahead_blocks: int = 4, realtime: bool = False,
                 sink: Callable[[np.ndarray], None] | None = None) -> None:
        _check_common(source, block, ahead_blocks)
        super().__init__(source, block, ahead_blocks)
        self.realtime, self.sink = realtime, sink
        self.backend_name = "null-realtime" if realtime else "null"
        self._ring = FrameRing(block * ahead_blocks, int(source.channels))
        self._data = threading.Event()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._consumer: threading.Thread | None = None
        self._limit: int | None = None
        self._ns = np.zeros(TIMES, np.int64)
        self._reads = self.played = self.delivered = self.dry = 0
        self._short = False  # the last block found the ring short
        self._stopped = False
        self.error: BaseException | None = None

    def start(self, frames: int | None = None) -> None:
        """Start; with ``frames``, the consumer stops by itself after exactly that many."""
        if self._consumer is not None:
            return
        self._limit = frames
        self._start_producer(self._ring, notify=self._data.set)
        self._consumer = threading.Thread(target=self._consume, name="composer-assist-output-null", daemon=True)
        self._consumer.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the consumer has taken ``frames`` (see ``start``) or stopped; re-raises a
        source's or sink's exception."""
        done = self._done.wait(timeout)
        err = self.error or (self._producer.error if self._producer else None)
        if err is not None:
            raise err
        return done

    def run(self, frames: int, timeout: float | None = None) -> OutputStats:
        """Play exactly ``frames`` frames, stop, and return the statistics."""
        self.start(frames)
        try:
            if not self.wait(timeout):
                raise TimeoutError(f"NullOutput did not play {frames} frames within {timeout} s")
        finally:
            self.close()
        return self.stats()

    def _consume(self) -> None:
        out = np.zeros((self.block, int(self.source.channels)), np.float32)
        period = self.block / self.source.sample_rate
        deadline = time.perf_counter()
        try:
            while not self._stop.is_set() and self._producer.error is None:
                want = self.block if self._limit is None else min(self.block, self._limit - self.delivered)
                if want <= 0:
                    break
                if self.realtime:
                    deadline += period
                    late = time.perf_counter() - deadline
                    if late > self.ahead_blocks * period:  # stalled (suspended?): a device loses that time
                        deadline += late
                        self.dry += 1
                    self._stop.wait(max(0.0, -late))
                elif not self._take_ready():
                    continue
                self._take(out[:want])
        except BaseException as exc:
            self.error = exc
        finally:
            self._done.set()

    def _take_ready(self) -> bool:
        """Fast mode: wait until the ring holds a frame (False to loop again)."""
        self._data.clear()
        if self._ring.read_available() > 0:
            return True
        self._producer.wake.set()
        self._data.wait(0.05)
        return False

    def _take(self, out: np.ndarray) -> None:
        t0 = time.perf_counter_ns()
        got = self._ring.read_into(out)
        self._ns[self._reads % TIMES] = time.perf_counter_ns() - t0
        self._reads += 1
        if self.realtime and got < len(out):
            out[got:] = 0.0
            if not self._short:  # a dropout counts once however many blocks it lasts, as on a device
                self.dry += 1
            self._short = True
            got_out = len(out)
        else:
            self._short = False
            got_out = got
        self.played += got
        self.delivered += got_out
        self._producer.wake.set()
        if self.sink is not None and got_out:
            self.sink(out[:got_out])

    def _device_side(self) -> dict:
        alive = self._consumer is not None and self._consumer.is_alive()
        return {"active": alive, "played": self.played, "dry": self.dry, "cb": percentiles_us(self._ns, self._reads)}

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._consumer is not None:
            self._consumer.join()
        self._stop_producer()
        self._report_final()

    def close(self) -> None:
        self.stop()
