"""The `composer-assist trace` subcommands, run in-process through the real argument parser."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.cli import trace_cmd
from composer_assist.cli.main import main
from composer_assist.core.trace import load_trace
from composer_assist.core.trace.generate import KINDS


def test_cli_kind_list_matches_the_generator():
    assert set(trace_cmd.KIND_NAMES) == set(KINDS)


def test_generate_info_convert_plot(tmp_path, capsys, realdata):
    out = tmp_path / "thr.csv"
    assert main(["trace", "generate", "thriller_buildup", "-o", str(out), "--seed", "4",
                 "--duration", "90"]) == 0
    tr = load_trace(out)
    assert tr.duration == pytest.approx(90.0) and "heart_rate" in tr.channels
    capsys.readouterr()
    assert main(["trace", "info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "duration 90.0 s" in info and "heart_rate" in info and "4 Hz" in info

    sf = realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"
    excerpt = tmp_path / "forrest.csv"
    assert main(["trace", "convert", str(sf), "-o", str(excerpt), "--start", "600",
                 "--end", "780", "--rebase"]) == 0
    ex = load_trace(excerpt)
    full = load_trace(sf)
    assert ex.times[0] == 0.0 and ex.times[-1] == 180.0
    assert ex.value_at(10.0) == pytest.approx(full.value_at(610.0), abs=1e-6)

    png = tmp_path / "thr.png"
    assert main(["trace", "plot", str(out), "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_cli_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "amb.csv"
    bad.write_text("time_s,valence,arousal\n0,0.1,0.2\n1,0.3,0.4\n")
    assert main(["trace", "info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: all valence") and err.count("\n") == 1
    assert main(["trace", "info", str(bad), "--scale", "[0,1]"]) == 0


def test_convert_resample_and_smooth(tmp_path):
    src = tmp_path / "c.csv"
    assert main(["trace", "generate", "comedy_scene", "-o", str(src)]) == 0
    dst = tmp_path / "c2.csv"
    assert main(["trace", "convert", str(src), "-o", str(dst), "--resample", "10",
                 "--smooth", "1.5", "--causal"]) == 0
    plain = tmp_path / "c3.csv"
    assert main(["trace", "convert", str(src), "-o", str(plain), "--resample", "10"]) == 0
    tr, raw = load_trace(dst), load_trace(plain)
    assert np.allclose(np.diff(tr.times), 0.1) and tr.times.size == raw.times.size
    assert np.abs(np.diff(tr.valence)).max() < 0.7 * np.abs(np.diff(raw.valence)).max()
