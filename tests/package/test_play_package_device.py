"""play-package on a real audio stack (PortAudio -> ALSA -> a PulseAudio null sink, its monitor
recorded): what the device plays is the runtime's offline render of the same trace."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import correlate

from composer_assist.core.trace import load_trace, save_trace
from composer_assist.runtime.package import open_package

from package_testkit import swinging_trace

pytestmark = [pytest.mark.slow, pytest.mark.realtime]


def test_play_package_on_a_device_plays_the_offline_render(pulse_server, short_package, tmp_path):
    folder, _ = short_package
    trace_path = tmp_path / "swing.csv"
    save_trace(swinging_trace(), trace_path)
    seconds = 6
    ref, _ = open_package(folder).render(load_trace(trace_path), mode="live", duration=seconds)
    wav = tmp_path / "monitor.wav"
    for _attempt in range(2):  # a glitch (another job starving the machine) spoils a comparison: once more
        with pulse_server.record(wav):
            run = subprocess.run([sys.executable, "-m", "composer_assist", "play-package", str(folder), "--trace",
                                  str(trace_path), "--mode", "live", "--device", "pulse", "--duration",
                                  str(seconds)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        if run.stdout.strip().endswith("underruns 0"):
            break
    assert run.stdout.strip().endswith("underruns 0"), run.stdout
    recorded, sr = sf.read(wav, dtype="float32", always_2d=True)
    head = ref[: 5 * sr]
    lag = int(np.argmax(correlate(recorded[:, 0].astype(np.float64), head[:, 0].astype(np.float64),
                                  mode="valid", method="fft")))
    got = recorded[lag:lag + len(head)]
    assert len(got) == len(head)
    assert np.corrcoef(got.ravel(), head.ravel())[0, 1] > 0.99
