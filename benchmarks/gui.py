"""The studio app: launch time, event-loop stalls while a stem re-renders, underruns while playing.

- launch: from starting a fresh Python process to the main window shown with the demo project
  open and the event loop turning (the window is usable).  Goal: <= 2 s.
- re-render stall: while the demo plays (null output, real time), a layer's parameter changes
  (a new value each run, so the stem cache misses); a 5 ms QTimer measures how late the event
  loop gets until the re-rendered stem is swapped in.  Goal: max stall <= 50 ms.
- underruns: the demo cue plays against a trace with the app open for --duration seconds
  (default 300).  Goal: 0.  The same playback without the app runs after it, so a busy machine
  (which underruns on its own) is told apart from the app.  On a private PulseAudio null sink (tests/audio/pulse.py) by
  default, ``--device NAME`` for a real one, ``--null`` for the null output paced in real time.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/gui.py [--runs 3] [--duration 300]
Each figure is printed as min / median / max over the runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "projects" / "demo"
TRACE = ROOT / "projects" / "traces" / "thriller_buildup.csv"

LAUNCH = """
import time, sys
t0 = float(sys.argv[1])
from PyQt6.QtWidgets import QApplication
from PyQt6.QtCore import QTimer
app = QApplication(sys.argv[:1])
from composer_assist.app.window import MainWindow
from composer_assist.app.transport import OutputSettings
w = MainWindow(OutputSettings(null=True))
w.show()
assert w.open_project(sys.argv[2])
def ready():
    print(f"READY {time.time() - t0:.4f}", flush=True)
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def spread(values: list[float], unit: str = "", fmt: str = "{:.3f}") -> str:
    if not values:
        return "-"
    f = lambda v: fmt.format(v) + unit  # noqa: E731
    return f"min {f(min(values))}  median {f(statistics.median(values))}  max {f(max(values))}"


def launch_seconds() -> float:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", LAUNCH, repr(t0), str(DEMO)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    line = next((l for l in out.stdout.splitlines() if l.startswith("READY")), None)
    if line is None:
        raise SystemExit(f"launch failed: {out.stderr[-2000:]}")
    return float(line.split()[1])


def _pump_until(app, cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.002)
    return False


def _window(app, settings):
    from composer_assist.app.window import MainWindow

    w = MainWindow(settings)
    w.ask_unsaved = lambda: "discard"
    w.show()
    return w


def _ticking(app, seconds: float | None, until=None) -> float:
    """Turn the event loop with a 5 ms QTimer until ``until()`` (or for ``seconds``); the
    longest gap between its ticks beyond 5 ms, in ms."""
    from PyQt6.QtCore import QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    if until is None:
        _pump_until(app, lambda: False, seconds)
    elif not _pump_until(app, until, 300):
        raise SystemExit("the re-rendered stem never arrived")
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    return max(0.0, (max(gaps) - 0.005) * 1000.0) if gaps else float("nan")


def _start_playing(app, w) -> None:
    """Load the trace, press play and wait until the player runs (exits naming any error)."""
    w.load_trace(TRACE)
    w.play_pause()
    if not _pump_until(app, lambda: w.transport.player is not None or bool(w.errors), 600):
        raise SystemExit("playback did not start")
    if w.errors:
        raise SystemExit(w.errors[-1])


def rerender_stalls(app, runs: int, project: Path) -> tuple[list[float], list[float]]:
    """Max event-loop stall (ms) during each re-render (each a cache miss), and while only playing."""
    from composer_assist.app.edits import loc
    from composer_assist.app.transport import OutputSettings
    from composer_assist.core.edit import set_param

    w = _window(app, OutputSettings(null=True))
    assert w.open_project(project)
    _start_playing(app, w)
    stalls, idle = [], []
    path = ("night_chase", "calm", "pad")
    for run in range(runs):
        idle.append(_ticking(app, 2.0))  # playing, nothing re-rendering: what the machine gives
        swaps = w.transport.swaps
        cutoff = 1000.0 + (time.time_ns() // 1000) % 1_000_000 / 1000.0  # new each time: a cache miss
        t0 = time.perf_counter()
        w.edit(lambda p: set_param(p, loc(path), "instrument", "cutoff", round(cutoff, 3)))
        stalls.append(max((time.perf_counter() - t0) * 1000.0,
                          _ticking(app, None, lambda: w.transport.swaps > swaps or bool(w.errors))))
        if w.errors:
            raise SystemExit(w.errors[-1])
        print(f"  re-render {run + 1}: max stall {stalls[-1]:.1f} ms (playing only: {idle[-1]:.1f} ms)", flush=True)
    w.transport.stop()
    w.close()
    return stalls, idle


def playback_underruns(app, duration: float, device: str | None, null: bool) -> tuple[int, float]:
    from composer_assist.app.transport import OutputSettings

    w = _window(app, OutputSettings(device=device, null=null))
    assert w.open_project(DEMO)
    _start_playing(app, w)
    _pump_until(app, lambda: False, duration)
    st = w.transport.player.status
    out = st.output
    w.transport.stop()
    w.close()
    return (out.underruns if out else -1), st.seconds


def baseline_underruns(duration: float, device: str | None, null: bool) -> int:
    """The same playback with no app (what the machine alone gives: the app's figure compares to it)."""
    from composer_assist.core.project import load_project
    from composer_assist.core.trace import load_trace
    from composer_assist.services.play import open_output, start_player

    project = load_project(DEMO)
    output = open_output(device, null=null, sample_rate=project.sample_rate)
    player = start_player(project, "night_chase", load_trace(TRACE))
    with output.play(player):
        time.sleep(duration)
        out = player.status.output
    return out.underruns if out else -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=300.0, help="seconds of playback for the underrun count")
    ap.add_argument("--device", default=None, help="output device (default: a private PulseAudio null sink)")
    ap.add_argument("--null", action="store_true", help="play on the null output (paced in real time)")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    launches = [launch_seconds() for _ in range(args.runs)]
    print(f"launch to usable window (s): {spread(launches)}  (goal <= 2)", flush=True)
    from PyQt6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    work = Path(tempfile.mkdtemp(prefix="ca-bench-gui-"))
    try:
        project = Path(shutil.copytree(DEMO, work / "demo"))
        stalls, idle = rerender_stalls(app, args.runs, project)
        print(f"event-loop stall while a stem re-renders (ms): {spread(stalls, fmt='{:.1f}')}  (goal <= 50)",
              flush=True)
        print(f"  the same, playing with no re-render: {spread(idle, fmt='{:.1f}')}  "
              f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
        server = None
        if args.device is None and not args.null:
            sys.path.insert(0, str(ROOT / "tests" / "audio"))
            from pulse import PulseServer

            server = PulseServer(work / "pulse")
            server.start()
            os.environ["PULSE_SERVER"] = server.server
            args.device = "pulse"
        try:
            runs = [playback_underruns(app, args.duration, args.device, args.null) for _ in range(args.runs)]
            alone = [baseline_underruns(args.duration, args.device, args.null) for _ in range(args.runs)]
        finally:
            if server is not None:
                server.stop()
        where = "null output" if args.null else args.device
        print(f"underruns in {args.duration:g} s of playback on {where}: "
              f"{spread([float(u) for u, _ in runs], fmt='{:.0f}')}  (goal 0)", flush=True)
        print(f"  the same playback without the app: {spread([float(u) for u in alone], fmt='{:.0f}')}  "
              f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
