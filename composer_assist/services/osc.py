"""Live emotion over OSC: a wearable, a joystick or another program drives the music.

Messages (UDP, python-osc):

    /emotion valence arousal [intensity]    valence, arousal in [-1, 1], intensity in [0, 1]
    /heart_rate bpm                         through the documented heart-rate to arousal mapping
    /release                                back to the trace (or neutral) after /emotion

A malformed message (wrong address, count or type, a value out of range) is counted and
reported in ``stats``, never fatal.  The server runs in its own thread and talks to the player
only through its own command queue.
"""

from __future__ import annotations

import errno
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from composer_assist.core.errors import ComposerAssistError
from composer_assist.core.trace.model import HEART_RATE_BPM
from composer_assist.playback import commands as C
from composer_assist.playback.commands import CommandQueue


class OscError(ComposerAssistError):
    """The OSC port cannot be opened."""


@dataclass
class OscStats:
    received: int = 0
    bad: int = 0
    last_bad: str = ""
    by_address: dict[str, int] = field(default_factory=dict)


class OscInput:
    """An OSC server feeding one player command queue (``with OscInput(queue, port): ...``)."""

    def __init__(self, queue: CommandQueue, port: int, host: str = "127.0.0.1") -> None:
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_server import ThreadingOSCUDPServer

        self.queue, self.stats = queue, OscStats()
        disp = Dispatcher()
        disp.map("/emotion", self._emotion)
        disp.map("/heart_rate", self._heart_rate)
        disp.map("/release", self._release)
        disp.set_default_handler(self._unknown)
        if not 0 <= port < 65536:  # 0: the system picks a free port (see ``port``)
            raise OscError(f"--osc {port}: not a UDP port (1..65535, or 0 for any free one)")
        try:
            self._server = ThreadingOSCUDPServer((host, port), disp)
        except OSError as exc:
            what = "is in use by another program; choose another with --osc" if exc.errno == errno.EADDRINUSE \
                else f"cannot be opened: {exc.strerror or exc}"
            raise OscError(f"OSC port {port} on {host} {what}") from None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="osc-input", daemon=True)

    def __enter__(self) -> "OscInput":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=2.0)
        self._server.server_close()

    # ---- handlers (server thread) --------------------------------------------------------------
    def _bad(self, address: str, why: str) -> None:
        self.stats.bad += 1
        self.stats.last_bad = f"{address}: {why}"

    def _count(self, address: str) -> None:
        self.stats.received += 1
        self.stats.by_address[address] = self.stats.by_address.get(address, 0) + 1

    def _emotion(self, address: str, *args: Any) -> None:
        self._count(address)
        if len(args) not in (2, 3):
            return self._bad(address, f"expected valence arousal [intensity], got {len(args)} values")
        values = _numbers(args)
        if values is None:
            return self._bad(address, "values must be numbers")
        v, a = values[0], values[1]
        i = values[2] if len(values) == 3 else None
        if not (-1.0 <= v <= 1.0 and -1.0 <= a <= 1.0) or (i is not None and not 0.0 <= i <= 1.0):
            return self._bad(address, "valence and arousal must be in [-1, 1], intensity in [0, 1]")
        if not self.queue.post(C.live(v, a, i)):
            self._bad(address, "the player's queue is full")

    def _heart_rate(self, address: str, *args: Any) -> None:
        self._count(address)
        values = _numbers(args)
        lo, hi = HEART_RATE_BPM
        if values is None or len(values) != 1 or not lo <= values[0] <= hi:
            return self._bad(address, f"expected one heart rate in bpm ({lo:g}..{hi:g})")
        if not self.queue.post(C.heart_rate(values[0])):
            self._bad(address, "the player's queue is full")

    def _release(self, address: str, *args: Any) -> None:
        self._count(address)
        self.queue.post(C.release())

    def _unknown(self, address: str, *args: Any) -> None:
        self._count(address)
        self._bad(address, "unknown address (use /emotion, /heart_rate or /release)")


def _numbers(args: tuple) -> list[float] | None:
    out = []
    for x in args:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            return None
        out.append(float(x))
    return out
