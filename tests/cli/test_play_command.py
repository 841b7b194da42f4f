"""`play` from the command line: bad devices, ports and positions are one line and leave nothing running."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.realtime  # counts underruns / plays in real time (tests/conftest.py)


def _play(root, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "composer_assist", "play", str(root / "projects" / "demo"),
                           "--cue", "night_chase", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args, message", [
    (["--device", "no such device"], "error: "),
    (["--start", "zero:1", "--null"], "error: --start 'zero:1': give seconds (30) or bar:beat counted from 1"),
    (["--start", "99:1", "--null", "--duration", "1"], "error: --start 99:1: cue 'night_chase' has 8 bars"),
    (["--start", "1:9", "--null", "--duration", "1"], "error: --start 1:9: a bar of 4/4 has beats 1 to 4"),
    (["--mode", "planned", "--null"], "error: --mode planned needs --trace"),
    (["--block", "4", "--device", "0"], "error: "),
])
def test_bad_play_options_are_one_line(root, args, message):
    run = _play(root, *args)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), run.stderr
    assert "Traceback" not in run.stderr


def test_a_busy_osc_port_is_one_line(root):
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    try:
        run = _play(root, "--null", "--duration", "1", "--osc", str(port))
    finally:
        busy.close()
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"error: OSC port {port} on 127.0.0.1 is in use by "
                                               "another program; choose another with --osc"]


def test_play_with_no_device_follows_a_trace_and_prints_status(root):
    run = _play(root, "--null", "--duration", "3", "--trace", str(root / "projects" / "traces" / "calm_to_sad.csv"))
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert "bar " in last and "underruns 0" in last and "playing" in last


def test_sigterm_stops_play_cleanly(root):
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "composer_assist", "play", str(root / "projects" / "demo"),
                             "--cue", "night_chase", "--null"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    line = ""
    while "bar" not in line and time.monotonic() < deadline:  # playing: a status line came out
        line = proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.strip() == "interrupted", err
    # the status line that was read above, then the last one, printed on the way out
    assert len([ln for ln in (line + out).splitlines() if " bar " in ln]) >= 2, line + out


def test_play_can_follow_the_trace_uncalibrated(root):
    run = _play(root, "--null", "--duration", "1", "--no-calibrate",
                "--trace", str(root / "projects" / "traces" / "calm_to_sad.csv"))
    assert run.returncode == 0, run.stderr
    assert "playing" in run.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("command", [["play", "projects/demo", "--null"], ["play-package", "x.pkg", "--null"]])
@pytest.mark.parametrize("block", ["8", "9000"])
def test_a_block_outside_16_to_8192_is_refused_before_anything_plays(command, block, capsys):
    from composer_assist.cli.main import main

    # before: --null took any block (100000 frames: a status line 7 s past a 1 s --duration)
    with pytest.raises(SystemExit) as stop:
        main([*command, "--block", block])
    assert stop.value.code == 2 and "use 16..8192" in capsys.readouterr().err
