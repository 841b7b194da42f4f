"""The commands: export (folder and zip), play-package to a WAV (trace, cluster, listener feedback),
and one-line refusals with exit status 2."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from composer_assist.cli.main import main
from composer_assist.core.trace import save_trace
from composer_assist.runtime.package import open_package

from package_testkit import swinging_trace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("trace") / "swing.csv"
    save_trace(swinging_trace(), path)
    return path


def test_export_zip_then_validate_and_play(short_project, short_render, tmp_path, capsys, trace_file):
    out = tmp_path / "cue"
    assert main(["export", str(short_project.folder), "--cue", "short", "-o", str(out), "--zip"]) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "cue.zip").is_file() and not out.exists()
    assert "loudness at nominal intensity -14.0 LUFS" in printed and "warning" not in printed
    assert main(["validate", str(tmp_path / "cue.zip")]) == 0
    wav = tmp_path / "out.wav"
    assert main(["play-package", str(tmp_path / "cue.zip"), "--trace", str(trace_file), "-o", str(wav)]) == 0
    assert "2 switches" in capsys.readouterr().out
    audio, sr = sf.read(wav, dtype="float32")
    from composer_assist.core.trace import load_trace

    expected, _ = open_package(tmp_path / "cue.zip").render(load_trace(trace_file))  # as read: calibrated alike
    assert sr == 48000 and np.array_equal(audio, expected)
    # a folder named like a zip is refused before any work (before: a folder called cue2.zip)
    assert main(["export", str(short_project.folder), "--cue", "short", "-o", str(tmp_path / "cue2.zip")]) == 2
    assert "add --zip for a zip package" in capsys.readouterr().err and not (tmp_path / "cue2.zip").exists()


def test_play_package_for_a_cluster_and_for_a_listeners_feedback(short_package, listeners, tmp_path, capsys,
                                                                  trace_file):
    from composer_assist.learn.assign import assign
    from composer_assist.learn.feedback_log import save_feedback_log

    folder, _ = short_package
    data, log, model = listeners
    log_path = tmp_path / "feedback.csv"
    save_feedback_log(log, log_path)
    lid = log.listener_ids[3]
    k = assign(model, log, lid).cluster
    wav = tmp_path / "l.wav"
    assert main(["play-package", str(folder), "--trace", str(trace_file), "--feedback", str(log_path),
                 "--listener", lid, "-o", str(wav)]) == 0
    assert f"listener cluster {k} {model.profiles_[k].name}" in capsys.readouterr().out
    by_listener, _ = sf.read(wav, dtype="float32")
    assert main(["play-package", str(folder), "--trace", str(trace_file), "--cluster", str(k),
                 "-o", str(tmp_path / "k.wav")]) == 0
    assert np.array_equal(by_listener, sf.read(tmp_path / "k.wav", dtype="float32")[0])


@pytest.mark.parametrize("extra, message", [
    ([], "give one of -o OUT.wav, --device D or --null (or --decisions FILE.json)"),
    (["--null", "-o", "x.wav"], "give one of -o OUT.wav, --device D or --null"),
    (["-o", "x.wav", "--listener", "L1"], "--feedback and --listener go together"),
    (["-o", "x.wav", "--cluster", "nobody"], "no listener cluster nobody"),
])
def test_play_package_refusals(short_package, trace_file, tmp_path, capsys, extra, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["play-package", str(short_package[0]), "--trace", str(trace_file), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and err.count("\n") == 0
    assert not (tmp_path / "x.wav").exists()


def test_cluster_of_a_package_without_listeners_is_refused(short_project, short_render, tmp_path, capsys,
                                                           trace_file):
    from composer_assist.package.export import export_package

    export_package(short_project, "short", tmp_path / "plain", render=short_render)
    code = main(["play-package", str(tmp_path / "plain"), "--trace", str(trace_file), "--cluster", "0",
                 "-o", str(tmp_path / "x.wav")])
    assert code == 2 and "has no listener profiles" in capsys.readouterr().err


def test_decisions_file_is_the_runtime_vector(short_package, trace_file, tmp_path, capsys):
    import json

    from composer_assist.runtime.package import decisions_vector

    out = tmp_path / "d.json"
    assert main(["play-package", str(short_package[0]), "--trace", str(trace_file), "--mode", "live",
                 "--decisions", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["mode"] == "live" and data["block"] == 512
    from composer_assist.core.trace import load_trace

    assert data["decisions"] == decisions_vector(short_package[0], load_trace(trace_file), mode="live")
    assert [e["to"] for e in data["decisions"] if e["kind"] == "switch"] == ["tense", "calm"]


def test_play_package_with_no_device_is_paced(short_package, trace_file, capsys):
    import time

    t0 = time.perf_counter()
    assert main(["play-package", str(short_package[0]), "--trace", str(trace_file), "--null", "--duration", "1"]) == 0
    assert time.perf_counter() - t0 >= 0.9  # real time, not as fast as possible
    assert "played 'short'" in capsys.readouterr().out


def test_play_package_follows_osc_without_a_trace(short_package):
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    from pythonosc.udp_client import SimpleUDPClient

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "composer_assist", "play-package", str(short_package[0]), "--null",
                             "--osc", str(port), "--duration", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    client = SimpleUDPClient("127.0.0.1", port)
    for _ in range(30):  # until the player has started (it reads the package first)
        time.sleep(0.2)
        client.send_message("/emotion", [-0.5, 0.6])
        if proc.poll() is not None:
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "played 'short'" in out and ": 1 switches" in out  # calm (nearest neutral) -> tense, on OSC alone
