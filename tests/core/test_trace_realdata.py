"""Adapters on the real public files in ../shared/realdata (studyforrest, PMEmo)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from composer_assist.core.errors import TraceError
from composer_assist.core.trace import generate_trace, load_trace, save_trace


def test_studyforrest_loads_the_whole_film(realdata):
    path = realdata / "studyforrest_emotions" / "ioats_2s_av_allchar.csv"
    tr = load_trace(path)                                   # detected from the header
    assert tr.times.size == 3542
    assert tr.times[0] == 0.0 and tr.times[-1] == 7082.0
    assert np.allclose(np.diff(tr.times), 2.0)
    assert tr.valence.min() >= -1 and tr.valence.max() <= 1
    assert tr.valence.std() > 0.05 and tr.arousal.std() > 0.05
    assert {"direction", "sadness", "happiness", "fear", "face"} <= set(tr.channels)
    # Row 2 + i of the file is sample i: compare one non-zero row against the raw text.
    lines = path.read_text().splitlines()
    i = next(k for k in range(1, len(lines)) if lines[k].split(",")[0] not in ("0.00", "-0.00")) - 1
    arousal, valence = (float(x) for x in lines[i + 1].split(",")[:2])
    assert tr.value_at(2.0 * i) == pytest.approx((valence, arousal))
    with pytest.raises(TraceError, match=r"studyforrest values are on the \[-1,1\] scale"):
        load_trace(path, scale="[0,1]")


@pytest.mark.parametrize("song,quadrant", [("108", (1, 1)), ("372", (-1, 1)),
                                           ("634", (-1, -1)), ("683", (1, -1))])
def test_pmemo_loads_with_eda_channel(realdata, song, quadrant):
    path = realdata / "pmemo_samples" / f"{song}.DERIVED.json"
    raw = json.loads(path.read_text())
    tr = load_trace(path)
    assert tr.times.tolist() == raw["dynamic"]["t"]
    assert np.allclose(tr.valence, 2 * np.array(raw["dynamic"]["v"]) - 1)
    assert np.allclose(tr.arousal, 2 * np.array(raw["dynamic"]["a"]) - 1)
    # The song's quadrant (PMEmo README) shows in the sign of the mean valence and arousal.
    assert np.sign(tr.valence.mean()) == quadrant[0] and np.sign(tr.arousal.mean()) == quadrant[1]
    eda = tr.channels["eda"]
    assert eda.size == tr.times.size and np.all(np.isfinite(eda))
    # Each eda value is the mean of the raw 12.5 Hz samples within +-0.25 s.
    et, em = np.array(raw["eda"]["t"]), np.array(raw["eda"]["mean"])
    k = tr.times.size // 2
    window = (et >= tr.times[k] - 0.25) & (et < tr.times[k] + 0.25)
    assert eda[k] == pytest.approx(em[window].mean())


def test_real_traces_convert_round_trip(realdata, tmp_path):
    tr = load_trace(realdata / "pmemo_samples" / "634.DERIVED.json")
    save_trace(tr, tmp_path / "634.csv")
    back = load_trace(tmp_path / "634.csv")
    assert np.allclose(back.valence, tr.valence, atol=1e-6)
    assert np.allclose(back.channels["eda"], tr.channels["eda"], atol=1e-5)


def test_sample_traces_load_and_regenerate_identically(root, tmp_path):
    folder = root / "projects" / "traces"
    files = sorted(folder.glob("*.csv"))
    assert len(files) >= 8
    for f in files:
        assert load_trace(f).times.size > 50, f
    from composer_assist.core.trace.generate import KINDS
    for kind in KINDS:
        committed = folder / f"{kind}.csv"
        tr = load_trace(committed)
        assert 60 <= tr.duration <= 180
        save_trace(generate_trace(kind, seed=0), tmp_path / f"{kind}.csv")
        fresh = (tmp_path / f"{kind}.csv").read_text()
        assert fresh == committed.read_text(), f"{kind}: generator output changed; regenerate"
