"""The device side of DeviceOutput: two ways to copy the ring to a PortAudio stream.

- ``rtmixer``: its C callback drains PortAudio's lock-free ring (``PaRing``) and never takes
  the GIL.  When it finds the ring short it plays silence and drops the ring; the producer
  counts that as an underrun and hands the ring back (:meth:`_RtmixerBackend.poll`).
- ``sounddevice``: a RawOutputStream whose Python callback copies from a ``FrameRing`` with two
  memoryview slice assignments and updates a few counters (it needs the GIL to run at all).

Each backend opens its stream in ``__init__`` (not started), exposes ``ring``, ``stream``,
``poll`` (producer-thread housekeeping or None), ``start``, ``stop``, ``close`` and
``counters()`` (what the statistics need).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from composer_assist.audio.devices import DeviceInfo, open_error, sounddevice
from composer_assist.audio.ring import TIMES, FrameRing, PaRing, percentiles_us
from composer_assist.core.errors import AudioDeviceError


def device_buffer_frames(stream: Any, sr: int, block: int) -> int:
    """The device's buffer in whole blocks: PortAudio fills it from the ring in one burst at
    start, so the ring is primed with this much on top of ``ahead_blocks``."""
    return -(-int(round(float(stream.latency) * sr)) // block) * block


class _StreamBackend:
    """What both backends do with their PortAudio stream when playback ends."""

    stream: Any

    def counters(self) -> dict:  # pragma: no cover - each backend has its own
        raise NotImplementedError

    def stop(self) -> None:
        if self.stream.active:
            self.stream.abort()

    def close(self) -> None:
        self.final = {**self.counters(), "active": False}
        self.stream.close()


class _RtmixerBackend(_StreamBackend):
    """rtmixer's C callback reads PortAudio's ring; the producer restarts it after a dry spell."""
    name = "rtmixer"

    def __init__(self, device: DeviceInfo, sr: int, channels: int, block: int, latency: Any, ring_frames: int):
        import rtmixer  # ImportError/OSError: the caller falls back

        self.stream = rtmixer.Mixer(device=device.index, channels=channels, blocksize=block,
                                    samplerate=sr, latency=latency)
        self.prime = device_buffer_frames(self.stream, sr, block)
        self.ring = PaRing(ring_frames + self.prime, channels)
        self._lock = threading.Lock()  # producer vs stats(); never seen by the C callback
        self.action: Any = None
        self.done_before = self.flags_before = self.dry = 0
        self.final: dict | None = None

    def start(self) -> None:
        old = self.action
        with self._lock:
            if old is not None:  # started again after stop(): the old action is still in the C list
                self.done_before += old.done_frames
                self.flags_before += old.stats.output_underflows
                self.stream.cancel(old)  # dequeued before the new one plays (what is left stays in the ring)
            self.action = self.stream.play_ringbuffer(self.ring.rb)
        self.stream.start()

    def poll(self) -> None:
        """Producer thread, right after a fill: if the callback found the ring short it dropped
        the ring (an underrun); hand the refilled ring back."""
        if self.action is None or self.action in self.stream.actions:
            return
        with self._lock:
            self.done_before += self.action.done_frames
            self.flags_before += self.action.stats.output_underflows
            self.dry += 1
            self.action = self.stream.play_ringbuffer(self.ring.rb)

    def counters(self) -> dict:
        if self.final is not None:
            return self.final
        with self._lock:
            a = self.action
            played = self.done_before + (a.done_frames if a is not None else 0)
            flags = self.flags_before + (a.stats.output_underflows if a is not None else 0)
        return {"active": self.stream.active, "played": played, "dry": self.dry, "flags": flags,
                "latency": float(self.stream.latency), "cpu": float(self.stream.cpu_load)}



class _CallbackBackend(_StreamBackend):
    """sounddevice RawOutputStream; the Python callback copies from a FrameRing."""
    name = "sounddevice"

    def __init__(self, device: DeviceInfo, sr: int, channels: int, block: int, latency: Any, ring_frames: int):
        sd = sounddevice()
        self._fb = channels * 4
        self._zeros = memoryview(bytes(self._fb * max(block, 8192)))
        self._ns = np.zeros(TIMES, np.int64)
        self._calls = self.played = self.dry = self.flags = 0
        self._short = False  # the last callback found the ring short
        self._clock = time.perf_counter_ns
        self.final: dict | None = None
        self.stream = sd.RawOutputStream(device=device.index, channels=channels, dtype="float32",
                                         samplerate=sr, blocksize=block, latency=latency, callback=self._callback)
        self.prime = device_buffer_frames(self.stream, sr, block)
        self.ring = FrameRing(ring_frames + self.prime, channels)

    def _callback(self, outdata, frames, _time, status) -> None:
        t0 = self._clock()
        got = self.ring.read_bytes(outdata, frames)
        if got < frames:
            outdata[got * self._fb:frames * self._fb] = self._zeros[:(frames - got) * self._fb]
            if not self._short:  # a dropout counts once however many callbacks it lasts, as rtmixer's
                self.dry += 1
            self._short = True
        else:
            self._short = False
        if status.output_underflow:
            self.flags += 1
        self.played += got
        self._ns[self._calls & (TIMES - 1)] = self._clock() - t0
        self._calls += 1

    def start(self) -> None:
        self.stream.start()

    poll = None

    def counters(self) -> dict:
        if self.final is not None:
            return self.final
        return {"active": self.stream.active, "played": self.played, "dry": self.dry, "flags": self.flags,
                "latency": float(self.stream.latency), "cpu": float(self.stream.cpu_load),
                "cb": percentiles_us(self._ns, self._calls)}



BACKENDS = {"rtmixer": _RtmixerBackend, "sounddevice": _CallbackBackend}


def open_backend(kind: str, device: DeviceInfo, sr: int, channels: int, block: int, latency: Any, ring: int):
    if kind not in ("auto", *BACKENDS):
        raise AudioDeviceError(f"unknown output backend {kind!r}: use auto, rtmixer or sounddevice")
    sd = sounddevice()
    for name in (["rtmixer", "sounddevice"] if kind == "auto" else [kind]):
        try:
            return BACKENDS[name](device, sr, channels, block, latency, ring)
        except (ImportError, OSError) as exc:
            if kind != "auto" or name == "sounddevice":
                raise AudioDeviceError(f"output backend {name} cannot be used: {exc}") from None
        except sd.PortAudioError as exc:
            raise open_error(exc, device, sr, block, channels) from None
    raise AssertionError("unreachable")
