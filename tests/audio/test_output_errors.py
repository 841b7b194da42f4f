"""Device errors are one line naming the device and what to do, and leave nothing running."""

from __future__ import annotations

import threading

import pytest

from composer_assist.audio import backends
from composer_assist.audio.devices import sounddevice
from composer_assist.audio.output import DeviceOutput, NullOutput
from composer_assist.cli.main import main
from composer_assist.core.errors import AudioDeviceError

from output_testkit import MusicSource


@pytest.fixture
def no_threads_left():
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate() if t not in before]
    assert left == [], f"threads left running: {left}"


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg
    return msg


def test_unknown_device_name_suggests_the_close_one(pulse_server, no_threads_left):
    with pytest.raises(AudioDeviceError) as exc:
        DeviceOutput(MusicSource(), device="plse")
    msg = _one_line(exc)
    assert "unknown audio output device 'plse'" in msg and "did you mean 'pulse'" in msg and "available:" in msg


def test_missing_device_index(pulse_server, no_threads_left):
    with pytest.raises(AudioDeviceError) as exc:
        DeviceOutput(MusicSource(), device=999)
    assert "audio device 999 is not an output device or is missing" in _one_line(exc)


def test_unsupported_sample_rate(pulse_server, no_threads_left):
    with pytest.raises(AudioDeviceError) as exc:
        DeviceOutput(MusicSource(sample_rate=1234567), device="pulse")
    msg = _one_line(exc)
    assert "'pulse'" in msg and "does not support 1234567 Hz" in msg and "render at a rate it plays" in msg


@pytest.mark.parametrize("block", [100_000, 0, 8])
def test_unsupported_block_size(pulse_server, no_threads_left, block):
    with pytest.raises(AudioDeviceError) as exc:
        DeviceOutput(MusicSource(), device="pulse", block=block)
    assert "block size" in _one_line(exc)


@pytest.mark.parametrize("backend", ["rtmixer", "sounddevice"])
def test_busy_device_at_open(pulse_server, no_threads_left, monkeypatch, backend):
    sd = sounddevice()

    def busy(*args, **kwargs):
        raise sd.PortAudioError("Device unavailable", sd._lib.paDeviceUnavailable)

    monkeypatch.setattr(backends.BACKENDS[backend], "__init__", busy)
    with pytest.raises(AudioDeviceError) as exc:
        DeviceOutput(MusicSource(), device="pulse", backend=backend)
    msg = _one_line(exc)
    assert "'pulse'" in msg and "is busy or gone" in msg and "close the program using it" in msg


def test_device_failing_at_start_stops_the_producer(pulse_server, no_threads_left, monkeypatch):
    sd = sounddevice()
    out = DeviceOutput(MusicSource(), device="pulse")

    def gone():
        raise sd.PortAudioError("Unanticipated host error", sd._lib.paUnanticipatedHostError,
                                ("ALSA", -19, "No such device"))

    monkeypatch.setattr(out._backend, "start", gone)
    with pytest.raises(AudioDeviceError) as exc:
        out.start()
    assert "is busy or gone" in _one_line(exc) and "No such device" in str(exc.value)
    out.close()
    assert not out.stats().running


def test_bad_settings_without_a_device(no_threads_left):
    with pytest.raises(AudioDeviceError, match="ahead_blocks must be a whole number >= 2"):
        NullOutput(MusicSource(), ahead_blocks=1)
    with pytest.raises(AudioDeviceError, match="unknown output backend 'jack'"):
        backends.open_backend("jack", None, 48000, 2, 512, "low", 2048)


def test_devices_command_lists_and_checks(pulse_server, capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "pulse" in out and "ALSA" in out and "* default output device" in out
    assert any(line.startswith("*") for line in out.splitlines())
    assert main(["devices", "--check", "pulse"]) == 0
    assert "plays 48000 Hz stereo" in capsys.readouterr().out
    assert main(["devices", "--check", "plse"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown audio output device 'plse'") and err.count("\n") == 1


@pytest.mark.realtime
def test_play_ends_with_one_line_when_the_sound_server_dies(tmp_path):
    """The sound server killed mid-play: ``play`` froze on its last status line for good (the
    producer ran on, only the stream had ended).  It now stops within a second or two, saying so."""
    import subprocess
    import sys
    import time

    from composer_assist.core.project import Note, save_project
    from pulse import start_server
    from render_testkit import layer, project, write_tone

    server = start_server(tmp_path / "pulse")  # its own: this test kills it
    try:
        folder = tmp_path / "p"
        save_project(project(folder, [layer("l", write_tone(folder), [Note(b, 0.9, 60, 100) for b in range(8)])]))
        proc = subprocess.Popen([sys.executable, "-m", "composer_assist", "play", str(folder), "--cue", "cue",
                                 "--device", "pulse", "--duration", "60"], env=server.client_env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for line in proc.stdout:  # a status line a second once playing
            if "underruns" in line:
                break
        server._proc.kill()
        t0 = time.monotonic()
        try:
            _, err = proc.communicate(timeout=20)
        finally:
            proc.kill()
        assert time.monotonic() - t0 < 5.0
        assert proc.returncode == 2
        last = err.strip().splitlines()[-1]
        assert last.startswith("error: audio output stopped: the audio device") and "stopped taking audio" in last, err
        assert "Traceback" not in err
    finally:
        server.stop()
