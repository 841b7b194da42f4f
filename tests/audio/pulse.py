"""A private PulseAudio server with a null sink, for playing through a real audio stack on a
machine without a sound card (tests/audio/conftest.py starts one per session).

PortAudio reaches it through ALSA's PulseAudio plugin (Debian ``libasound2-plugins``): the ALSA
device ``pulse`` always, and ``default`` too once ALSA's configuration is read with the server
running (``/etc/alsa/conf.d/99-pulse.conf``).  ``PULSE_SERVER`` points every client at it.

The null sink is paced by the server's clock like a sound card.  One catch, measured here: with
no client asking for low latency, the null sink renders up to ~2 s ahead of the clock, so a new
stream stalls for 1-2 s before it is consumed (and again after each underrun).  ``start`` keeps a
low-latency reader on the sink's monitor for the whole session, which keeps the sink at ~10 ms.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

SINK = "composer_null"
RATE = 48000


class PulseServer:
    def __init__(self, base: Path) -> None:
        self.base = Path(base)
        self.socket = self.base / "native"
        self.log = self.base / "pulseaudio.log"
        self.server = f"unix:{self.socket}"
        self._proc: subprocess.Popen | None = None
        self._keeper: subprocess.Popen | None = None

    def client_env(self) -> dict[str, str]:
        return {**os.environ, "PULSE_SERVER": self.server}

    def _server_env(self) -> dict[str, str]:
        dirs = {k: self.base / v for k, v in (("HOME", "home"), ("XDG_RUNTIME_DIR", "run"),
                                               ("PULSE_RUNTIME_PATH", "run/pulse"), ("PULSE_STATE_PATH", "state"),
                                               ("XDG_CONFIG_HOME", "config"))}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        env.update({k: str(v) for k, v in dirs.items()})
        return env

    def start(self, timeout: float = 15.0) -> None:
        """Start the server; RuntimeError naming the reason if it does not come up."""
        exe = shutil.which("pulseaudio")
        if exe is None:
            raise RuntimeError("pulseaudio is not installed (Debian: pulseaudio pulseaudio-utils; "
                               "scripts/setup.sh --test installs them)")
        if shutil.which("parec") is None or shutil.which("pactl") is None:
            raise RuntimeError("parec/pactl are not installed (Debian: pulseaudio-utils)")
        self.base.mkdir(parents=True, exist_ok=True)
        # --disable-shm: with shared memory, PulseAudio 16 aborts after many client connections
        # (assertion in memblock_replace_import, seen here); over the socket it does not.
        # norewinds=1: a new stream is otherwise mixed into the sink's last ~10 ms by rewinding
        # them, which the monitor never sees again: the recording lost a stream's first ~450 frames.
        # --realtime/--high-priority: as a desktop's server runs (through rtkit); here as root it
        # may set its own scheduling, so a test's CPU burner does not starve the sink's clock.
        cmd = [exe, "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no", "--disable-shm=yes",
               "--realtime=yes", "--high-priority=yes",
               "--log-target=stderr", "--log-level=notice",
               f"--load=module-null-sink sink_name={SINK} format=float32le rate={RATE} channels=2 norewinds=1 "
               f"sink_properties=device.description=ComposerAssistNullSink",
               f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.socket}"]
        with open(self.log, "wb") as log:
            # Its own session: a test's Ctrl-C does not reach it, and stop() ends it by id.
            self._proc = subprocess.Popen(cmd, env=self._server_env(), stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
                raise RuntimeError(f"pulseaudio did not start: {' | '.join(tail) or 'no output'}")
            time.sleep(0.1)
        self._keeper = subprocess.Popen(self._parec("--raw"), env=self.client_env(), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        # The sink rendered ~2 s ahead while idle; wait until its clock has caught up.
        deadline = time.monotonic() + 5.0
        while (self.sink_latency() or 1.0) > 0.05:
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the null sink's latency stays at {self.sink_latency()} s")
            time.sleep(0.1)

    def sink_latency(self) -> float | None:
        """The null sink's current latency in seconds, as ``pactl list sinks`` shows it."""
        r = subprocess.run(["pactl", "-s", self.server, "list", "sinks"], capture_output=True, text=True,
                           timeout=10, env=self.client_env())
        m = re.search(r"^\s*Latency: (\d+) usec", r.stdout, re.M)
        return int(m.group(1)) / 1e6 if m else None

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        r = subprocess.run(["pactl", "-s", self.server, "list", "short", "sinks"], capture_output=True,
                           text=True, timeout=10, env=self.client_env())
        return r.returncode == 0 and SINK in r.stdout

    def _parec(self, *args: str) -> list[str]:
        return ["parec", "-s", self.server, "-d", f"{SINK}.monitor", "--format=float32le", f"--rate={RATE}",
                "--channels=2", "--latency-msec=10", *args]

    @contextlib.contextmanager
    def record(self, path: Path):
        """Record the null sink's monitor to a float WAV while the block runs."""
        proc = subprocess.Popen(self._parec("--file-format=wav", str(path)), env=self.client_env(),
                                stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            time.sleep(0.3)  # connected before the block plays anything
            if proc.poll() is not None:
                raise RuntimeError(f"parec failed: {proc.stderr.read().decode(errors='replace').strip()}")
            yield path
            time.sleep(0.3)  # the sink's last blocks reach the monitor
        finally:
            _end(proc, signal.SIGINT)  # SIGINT: parec finishes the WAV header

    def stop(self) -> None:
        for proc in (self._keeper, self._proc):
            if proc is not None:
                _end(proc, signal.SIGTERM)
        self._keeper = self._proc = None


def _end(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def start_server(base: Path) -> PulseServer:
    """A started server, or the test skipped when it cannot start (failed under CI=true, where
    scripts/setup.sh --test has installed it)."""
    import pytest

    server = PulseServer(base)
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PulseAudio null sink unavailable under CI: {exc}")
        pytest.skip(f"PulseAudio null sink unavailable: {exc}")
    return server
