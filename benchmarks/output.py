"""Audio output: the device callback's cost per block and end-to-end underruns, at 128, 256 and
512 frames (48 kHz stereo), with the garbage collector on and a second thread busy in Python
(allocating reference cycles, so the collector runs all the time).

Goal: callback p99 < 10 % of the block period, and no underrun.

- rtmixer (the chosen backend): its callback is C and runs in PortAudio's thread without the
  GIL, so Python cannot time it in place.  Its cost is measured by calling the compiled callback
  itself through cffi on a real ring, block after block (an upper bound: ~0.2 us of cffi call
  included; nothing the busy thread does can reach it, so it is timed alone); in place, the
  stream plays to the device for RUN seconds per run and the underruns (ring + PortAudio) and
  PortAudio's CPU-load estimate are counted.
- sounddevice (the fallback): its Python callback is timed inside itself.  That misses the wait
  for the GIL before it starts, which is what makes it late: the underruns show that.

Each backend plays with ahead_blocks=4 and, for rtmixer, also with ~43 ms rendered ahead
(ahead_blocks = 2048 / block): what protects the ring from GIL and GC stalls is time ahead.

Device: --device NAME, or by default a private PulseAudio null sink (tests/audio/pulse.py; needs
pulseaudio, pulseaudio-utils, libasound2-plugins).  Run: python benchmarks/output.py [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SR = 48000
BLOCKS = (128, 256, 512)


class Chord:
    """A block source about as costly as the Player's mix (~40 us per block)."""
    sample_rate, channels = SR, 2

    def __init__(self) -> None:
        self.pos = 0

    def render_block(self, out: np.ndarray) -> None:
        t = np.arange(self.pos, self.pos + len(out)) / SR
        x = 0.1 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 330 * t))
        out[:, 0] = x
        out[:, 1] = x
        self.pos += len(out)


class BusyPython:
    """A thread spinning in Python, making reference cycles so the garbage collector keeps running."""

    def __enter__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()
        return self

    def _spin(self) -> None:
        junk: list = []
        while not self._stop.is_set():
            a: dict = {}
            a["self"] = a
            junk.append(a)
            if len(junk) > 500:
                junk.clear()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def c_callback_cost(device: int, block: int, calls: int = 20000) -> np.ndarray:
    """rtmixer's compiled callback, called directly on a PLAY_RINGBUFFER action: ns per call."""
    import rtmixer

    ffi, lib = rtmixer._ffi, rtmixer._lib
    mixer = rtmixer.Mixer(device=device, channels=2, blocksize=block, samplerate=SR)  # opened, never started
    ring = rtmixer.RingBuffer(8, 1 << (4 * block - 1).bit_length())
    data = np.random.default_rng(0).uniform(-0.5, 0.5, (block, 2)).astype(np.float32)
    out = ffi.new("float[]", 2 * block)
    tinfo = ffi.cast("PaStreamCallbackTimeInfo*", ffi.new("double[3]"))
    ring.write(data)
    action = mixer.play_ringbuffer(ring)
    times = np.zeros(calls, np.int64)
    clock = time.perf_counter_ns
    try:
        for i in range(calls):
            ring.write(data)
            t0 = clock()
            lib.callback(ffi.NULL, out, block, tinfo, 0, mixer._state)
            times[i] = clock() - t0
        assert action.done_frames == calls * block, "the ring ran dry: the timing is not of a copy"
    finally:
        mixer.close()
    return times


def play_run(device, backend: str, block: int, ahead: int, seconds: float) -> dict:
    """Play ``seconds`` with GC on and a busy Python thread; what the output counted."""
    from composer_assist.audio.output import DeviceOutput

    gc.enable()
    out = DeviceOutput(Chord(), device=device, block=block, ahead_blocks=ahead, latency="low", backend=backend)
    cpu = []
    with BusyPython():
        out.start()
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            time.sleep(0.05)
            cpu.append(out.stats().cpu_load or 0.0)
        out.close()
    s = out.stats()
    return {"ring": s.ring_underruns, "device": s.device_underflows, "cb50": s.callback_p50_us,
            "cb99": s.callback_p99_us, "cbmax": s.callback_max_us, "cpu": max(cpu) if cpu else 0.0,
            "prio": s.priority}


def spread(values) -> str:
    v = [x for x in values if x is not None]
    if not v:
        return "n/a"
    return f"{min(v):7.1f} {statistics.median(v):7.1f} {max(v):7.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default=None, help="output device (default: a private PulseAudio null sink)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds played per run")
    args = ap.parse_args()
    server = None
    if args.device is None:
        sys.path.insert(0, str(ROOT / "tests" / "audio"))
        from pulse import PulseServer

        server = PulseServer(Path(tempfile.mkdtemp(prefix="ca-bench-pulse-")))
        server.start()
        os.environ["PULSE_SERVER"] = server.server
        args.device = "pulse"
    try:
        report(args)
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.base, ignore_errors=True)


def report(args) -> None:
    from composer_assist.audio.devices import find_device

    dev = find_device(args.device)
    print(f"device {dev.label()}, 48 kHz stereo, ahead_blocks=4, latency=low; GC on + a busy Python thread; "
          f"{args.runs} runs of {args.seconds:g} s. Figures: min median max over runs.")
    print("\nrtmixer C callback, called directly (us per block; all calls of a run pooled):")
    print(f"{'block':>6} {'period':>8} | {'p50':^23} | {'p99':^23} | {'max':^23} | p99/period")
    for block in BLOCKS:
        runs = [c_callback_cost(dev.index, block) / 1000.0 for _ in range(args.runs)]
        p50, p99, mx = ([float(np.percentile(r, q)) for r in runs] for q in (50, 99, 100))
        period = block / SR * 1e6
        print(f"{block:>6} {period:6.0f}us | {spread(p50)} | {spread(p99)} | {spread(mx)} | "
              f"{statistics.median(p99) / period * 100:5.2f} %")
    print("\nPlaying (underruns summed over the runs: ring ran dry + PortAudio underflow flags; "
          "callback cost in us, min median max over runs):")
    print(f"{'backend':<12} {'block':>5} {'ahead':>9} | {'underruns':>13} | {'callback p50':^23} | "
          f"{'callback p99':^23} | {'callback max':^23} | cpu_load max | producer")
    for backend, aheads in (("rtmixer", lambda b: sorted({4, 2048 // b})), ("sounddevice", lambda b: [4])):
        for block in BLOCKS:
            for ahead in aheads(block):
                r = [play_run(dev.index, backend, block, ahead, args.seconds) for _ in range(args.runs)]
                cb = ["n/a (C, no GIL)".center(23)] * 3 if backend == "rtmixer" else \
                    [spread([x[k] for x in r]) for k in ("cb50", "cb99", "cbmax")]
                print(f"{backend:<12} {block:>5} {ahead:>2}={ahead * block / SR * 1000:4.1f}ms | "
                      f"{sum(x['ring'] for x in r):>5} + {sum(x['device'] for x in r):<5} | {cb[0]} | {cb[1]} | "
                      f"{cb[2]} | {max(x['cpu'] for x in r):10.4f}   | {r[0]['prio']}")


if __name__ == "__main__":
    main()
