"""The reference runtime: the same music as `adapt` (FLAC to 24-bit rounding, Opus within the codec),
seamless loops, listener assignment as the learner's, decisions as a shared test vector, and no
import beyond numpy, soundfile, playback and core."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from composer_assist.core.mixmath import db_to_gain
from composer_assist.core.trace import Trace
from composer_assist.runtime.package import decisions_vector, open_package
from composer_assist.services.adapt import adapt

from package_testkit import swinging_trace

pytestmark = pytest.mark.slow


def _db(x: np.ndarray) -> float:
    peak = float(np.max(np.abs(x)))
    return 20 * np.log10(peak) if peak > 0 else -np.inf


@pytest.fixture(scope="module")
def flac_pkg(short_package):
    return open_package(short_package[0])


@pytest.mark.parametrize("mode", ["planned", "live"])
def test_runtime_output_equals_adapt(flac_pkg, short_project, short_render, short_package, mode):
    trace = swinging_trace()
    audio, player = flac_pkg.render(trace, mode=mode)
    ref = adapt(short_project, "short", trace, mode=mode, render=short_render)
    gain = db_to_gain(short_package[1].manifest.loudness.delivery_gain_db)
    assert [(s.sample, s.target) for s in player.schedule.switches] == \
        [(s.sample, s.target) for s in ref.schedule.switches] and len(ref.schedule.switches) == 2
    assert audio.shape == ref.audio.shape
    assert _db(ref.audio * gain) > -20  # real music, not silence
    assert _db(audio - ref.audio * gain) < -100  # 24-bit rounding of the stems


def test_runtime_from_opus_is_within_the_codec(short_package, short_project, short_render):
    trace = swinging_trace()
    audio, _ = open_package(short_package[0], codec="opus").render(trace)
    ref = adapt(short_project, "short", trace, render=short_render).audio
    ref = ref * db_to_gain(short_package[1].manifest.loudness.delivery_gain_db)
    err = audio - ref
    snr = 10 * np.log10(np.mean(ref.astype(np.float64) ** 2) / np.mean(err.astype(np.float64) ** 2))
    assert snr > 25 and _db(err) < -10  # Opus at 160 kb/s: see docs/packages.md for the figures


def test_loop_join_equals_plain_concatenation(flac_pkg, short_package):
    """A calm scene held over three loop passes: each pass is the stems' body again, the release
    tail of the pass before ringing over its start: concatenation, to the sample."""
    import soundfile as sf

    folder, result = short_package
    m = result.manifest
    t = np.arange(0.0, 10.01, 0.5)
    trace = Trace(times=t, valence=np.full_like(t, 0.5), arousal=np.full_like(t, -0.8), name="calm")
    audio, player = flac_pkg.render(trace, mode="planned")
    assert not player.schedule.switches
    intensity = player.mixer.i_cur
    n, total = m.cue.length_samples, audio.shape[0]
    expected = np.zeros((total + n, 2))
    calm = m.variants[0]
    from composer_assist.core.mixmath import LUT_STEPS

    # The layers' gains at that intensity: the layer law times the level match over intensity
    # (core.level_windows.intensity_makeup), the stem set's table row.
    row = player.mixer.stems.luts[0][int(intensity * LUT_STEPS + 0.5)]
    for layer, g in zip(calm.layers, row.tolist()):
        x, _ = sf.read(folder / layer.stem.flac.path, dtype="float64")
        for start in range(0, total, n):
            expected[start:start + x.shape[0]] += g * x[:min(x.shape[0], total + n - start)]
    assert _db(audio - expected[:total]) < -100
    assert _db(audio[n - 100:n + 100]) > -40  # the join is inside music, not a silence


def test_listener_cluster_from_feedback_is_the_learners(flac_pkg, listeners, short_project, short_render):
    from composer_assist.learn.assign import assign

    data, log, model = listeners
    rows = list(log.to_rows())
    for lid in log.listener_ids[:40]:
        profile = flac_pkg.profile(events=rows, listener=lid)
        assert profile.cluster == assign(model, log, lid).cluster
    profile = flac_pkg.profile(cluster=1)
    assert profile.cluster == 1 and flac_pkg.profile(cluster=profile.name).cluster == 1
    trace = swinging_trace()
    audio, _ = flac_pkg.render(trace, profile=profile)
    ref = adapt(short_project, "short", trace, profile=model.profiles_[1], render=short_render).audio
    assert _db(audio - ref * (audio.std() / ref.std())) < -60


def test_decisions_vector_is_the_schedule(flac_pkg, short_project, short_render, tmp_path):
    trace = swinging_trace()
    vec = decisions_vector(flac_pkg, trace, mode="live")
    json.dumps(vec)  # plain JSON for the web player
    ref = adapt(short_project, "short", trace, mode="live", render=short_render).schedule
    assert vec[0] == {"kind": "start", "sample": 0, "variant": "calm", "intensity": round(ref.start_intensity, 6)}
    switches = [e for e in vec if e["kind"] == "switch"]
    assert [(e["sample"], e["from"], e["to"], e["fade_samples"]) for e in switches] == \
        [(s.sample, ["calm", "tense"][s.source], ["calm", "tense"][s.target], s.fade) for s in ref.switches]
    assert [e["sample"] for e in vec] == sorted(e["sample"] for e in vec)
    assert len([e for e in vec if e["kind"] == "intensity"]) == len(ref.intensity)


def test_runtime_imports_no_authoring_library(short_package):
    code = f"""
import sys
from composer_assist.runtime.package import open_package
from composer_assist.core.trace import Trace
import numpy as np
pkg = open_package({str(short_package[0])!r})
t = np.arange(0.0, 3.0, 0.5)
audio, _ = pkg.render(Trace(times=t, valence=0.3 + 0 * t, arousal=-0.2 + 0 * t))
heavy = sorted(m for m in ("dawdreamer", "sklearn", "pydantic", "scipy", "matplotlib", "pyloudnorm",
                         "composer_assist.audio", "composer_assist.learn", "composer_assist.package")
               if m in sys.modules)
print(heavy, audio.shape)
"""
    import os

    env = {**os.environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[] (120000, 2)"


def uncalibrated_package(project, render, out):
    """The short cue exported with the policy's defaults (viewer calibration off): the stored vector's package."""
    from composer_assist.package.export import export_package
    from composer_assist.playback.policy import PolicyConfig

    export_package(project, "short", out, render=render, config=PolicyConfig())
    return open_package(out)


def test_the_stored_decision_vector_still_holds(short_project, short_render, root, tmp_path):
    """tests/data/package/short_swing.decisions.json: the vector the web player is compared against."""
    from composer_assist.core.trace import load_trace

    pkg = uncalibrated_package(short_project, short_render, tmp_path / "pkg")
    data = json.loads((root / "tests/data/package/short_swing.decisions.json").read_text())
    trace = load_trace(root / "tests/data/package" / data["trace"])
    for mode, vec in data["modes"].items():
        assert decisions_vector(pkg, trace, mode=mode, block=data["block"]) == vec


def test_the_runtime_reads_the_switch_budget_from_the_manifest(flac_pkg):
    """The package carries the cue's budget (10 a minute in the test cue); a manifest from before
    the budget has none, so an older package plays as it did."""
    import copy

    from composer_assist.runtime.load import cue_from_manifest

    assert flac_pkg.manifest["adaptive"]["max_switches_per_minute"] == 10
    assert flac_pkg.cue.adaptive.max_switches_per_minute == 10
    old = copy.deepcopy(flac_pkg.manifest)
    del old["adaptive"]["max_switches_per_minute"]
    assert cue_from_manifest(old).adaptive.max_switches_per_minute == 0
