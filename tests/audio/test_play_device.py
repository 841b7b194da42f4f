"""`play` on a real audio stack (PortAudio -> ALSA -> a PulseAudio null sink, its monitor recorded):
what a composer hears is the offline render, and an override lands on the next legal boundary."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import correlate

from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import AdaptiveSettings, TransitionRule
from composer_assist.playback import commands as C
from composer_assist.playback.player import Player
from composer_assist.playback.stems import StemSet
from composer_assist.services.play import open_output

pytestmark = pytest.mark.realtime  # counts underruns / plays in real time (tests/conftest.py)

SR = 48000


def _align(recorded: np.ndarray, ref: np.ndarray) -> int:
    c = correlate(recorded[:, 0].astype(np.float64), ref[:, 0].astype(np.float64), mode="valid", method="fft")
    return int(np.argmax(c))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.astype(np.float64).ravel(), b.astype(np.float64).ravel())[0, 1])



@pytest.mark.slow
def test_play_command_sounds_like_the_offline_render_under_cpu_load(pulse_server, cpu_burner, root, tmp_path):
    trace = root / "projects" / "traces" / "thriller_buildup.csv"
    seconds = 30
    # The offline render of the same trace in the same (live) mode, for reference.
    subprocess.run([sys.executable, "-m", "composer_assist", "adapt", str(root / "projects" / "demo"), "--cue",
                    "night_chase", "--trace", str(trace), "--mode", "live", "--duration", str(seconds + 1),
                    "-o", str(tmp_path / "offline")], check=True, capture_output=True, timeout=300)
    ref, sr = sf.read(tmp_path / "offline" / "adaptive.wav", dtype="float32", always_2d=True)
    wav = tmp_path / "monitor.wav"
    with pulse_server.record(wav):
        run = subprocess.run([sys.executable, "-m", "composer_assist", "play", str(root / "projects" / "demo"),
                              "--cue", "night_chase", "--trace", str(trace), "--device", "pulse",
                              "--duration", str(seconds)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert int(re.search(r"underruns (\d+)", last).group(1)) == 0, last
    recorded, rsr = sf.read(wav, dtype="float32", always_2d=True)
    assert rsr == sr
    # Align on the first 25 s of the render (the recording starts before the player and may end
    # a little after it), then compare second by second so no gap can hide in an average.
    head = ref[: 25 * sr]
    lag = _align(recorded, head)
    got = recorded[lag:lag + len(head)]
    assert len(got) == len(head)
    assert _corr(got, head) > 0.99
    worst = min(_corr(got[i:i + sr], head[i:i + sr]) for i in range(0, len(head) - sr + 1, sr))
    print(f"\nplay vs offline: correlation {_corr(got, head):.5f}, worst second {worst:.5f}, {last}")
    assert worst > 0.99


def _synthetic_player(block: int) -> Player:
    cue = synthetic_cue(rule=TransitionRule(leave="bar", fade_beats=1.0), adaptive=AdaptiveSettings(dwell_bars=0))
    # Noise, not sines: a recording aligns on it without ambiguity.
    return Player(StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR, kind="noise")), mode="live", block=block)


@pytest.mark.slow
def test_an_override_sent_mid_play_lands_on_the_next_legal_boundary(pulse_server, tmp_path):
    block = 512
    player = _synthetic_player(block)
    keys = player.command_queue()
    output = open_output("pulse", block=block)
    wav = tmp_path / "monitor.wav"
    with pulse_server.record(wav):
        with output.play(player) as out:
            time.sleep(3.0)
            start = player.status.variant
            target = next(v for v in player.cue.variants if v.name != start)
            stats = out.stats()  # what the listener has heard when the key goes down
            keys.post(C.emotion(target.valence, target.arousal))
            time.sleep(6.0)
    heard = stats.frames_played
    drained = next(t for t, name in player.command_log if name == C.EMOTION)
    sw = player.schedule.switches[-1]
    assert player.cue.variants[sw.target].name == target.name
    bar = 2 * SR  # 4/4 at 120 BPM
    tick = -(-drained * 10 // SR) * SR // 10  # the first control tick (10 Hz) at or after the drain
    assert sw.sample == -(-tick // bar) * bar, "not the first bar line after the tick that saw it"
    # The command waits at most for the blocks already mixed ahead of the device, the block in
    # progress and the device's own buffer: from what was heard, the next legal boundary after
    # that much more.
    allowed = heard + stats.buffered * SR + block + stats.output_latency * SR
    assert sw.sample <= -(-(allowed + SR // 10) // bar) * bar
    # And what the sink played is what a replay of the same command at the same sample renders.
    replay = _synthetic_player(block)
    q = replay.command_queue()
    frames = sw.arrival + SR
    out_ref = np.empty((frames, 2), np.float32)
    for i in range(0, frames, block):
        if i == drained:
            q.post(C.emotion(target.valence, target.arousal))
        replay.render_block(out_ref[i:i + block])
    recorded, _ = sf.read(wav, dtype="float32", always_2d=True)
    lag = _align(recorded, out_ref[SR:2 * SR])
    got = recorded[lag - SR:lag - SR + frames]
    window = slice(sw.sample - SR // 2, sw.arrival + SR // 2)
    assert _corr(got[window], out_ref[window]) > 0.99


def test_play_duration_is_heard_to_its_end_and_ramps_out(pulse_server, root, tmp_path):
    """``--duration 3`` was heard for 2.93 s and ended cut dead: the loop stopped on the mixed
    position, ~70 ms ahead of the sound, and the stream was aborted with the rest in it."""
    wav = tmp_path / "heard.wav"
    with pulse_server.record(wav):
        run = subprocess.run([sys.executable, "-m", "composer_assist", "play", str(root / "projects" / "demo"),
                              "--cue", "night_chase", "--device", "pulse", "--duration", "3"],
                             capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    x, sr = sf.read(wav, dtype="float32", always_2d=True)
    loud = np.nonzero(np.abs(x).max(axis=1) > 1e-4)[0]
    heard = x[loud[0]:loud[-1] + 1]
    assert 2.98 <= heard.shape[0] / sr <= 3.06, heard.shape[0] / sr
    assert np.abs(heard[-32:]).max() < 0.05 * np.abs(heard[-4096:-512]).max()  # ramped out, not cut
