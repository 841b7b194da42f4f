"""A two-variant cue built from scratch by command-line edits alone renders and adapts; every bad
path or value is one line naming it, exit status 2, and the project file is left as it was; a
bad VST parameter name is refused at ``set`` time from the plugin scan."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import soundfile as sf

from tests.core.project_testkit import run_cli, write_midi

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "projects" / "traces" / "thriller_buildup.csv"


def ok(*args: str, env: dict | None = None) -> str:
    r = _run(args, env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _run(args, env=None):
    if env is None:
        return run_cli(*args)
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "composer_assist", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def build(project: Path, tmp: Path) -> None:
    """Cue ``chase`` (2 bars): calm (keys) and tense (bass + strings), a transition rule."""
    calm_mid = write_midi(tmp / "calm.mid", pitches=(60, 64, 67, 72, 67, 64, 60, 55))
    low_mid = write_midi(tmp / "low.mid", pitches=(40, 40, 43, 45))
    ok("new", project)
    ok("add", "cue", project, "chase", "--variant", "calm", "--tempo", "120", "--bars", "2", "--key", "C major")
    ok("set", project, "chase/calm.emotion", "0.5,-0.5")
    ok("set", project, "chase/calm.emotion", "-0.5,-0.5")  # a value starting with '-' is no option
    ok("set", project, "chase/calm.valence", "0.5")
    ok("set", project, "chase/calm.tags", "calm,warm")
    ok("add", "layer", project, "chase/calm/keys", "--instrument", "keys")
    ok("clip", "import", project, "chase/calm/keys", calm_mid)
    ok("add", "variant", project, "chase/tense", "--valence", "-0.6", "--arousal", "0.7", "--tags", "tense")
    ok("add", "layer", project, "chase/tense/bass", "--instrument", "bass")
    ok("clip", "import", project, "chase/tense/bass", low_mid)
    ok("clip", "transpose", project, "chase/tense/bass", "0", "-12")
    ok("set", project, "chase/tense/bass.instrument.params.cutoff", "1200")
    ok("add", "layer", project, "chase/tense/strings", "--instrument", "strings", "--gain-db", "-8")
    ok("clip", "import", project, "chase/tense/strings", calm_mid, "--start", "0")
    ok("set", project, "chase/tense/strings.effects", "room")
    ok("transition", project, "chase", "*", "*", "--leave", "beat", "--fade-beats", "1")
    ok("marker", project, "chase", "half", "4")
    ok("transition", project, "chase", "tense", "calm", "--leave", "marker", "--leave-marker", "half")


@pytest.mark.slow
def test_a_cue_built_by_commands_renders_and_adapts(tmp_path):
    project = tmp_path / "p"
    build(project, tmp_path)
    shown = ok("show", project)
    assert "calm: valence +0.50 arousal -0.50  tags calm,warm" in shown
    assert "bass: bass [cutoff=1200]" in shown and "strings -> room" in shown
    assert "clip 0: 4 notes, beats 0..4 (2.00 s), pitches 28..33" in shown
    ok("validate", project)
    out = ok("render", project, "-o", tmp_path / "render")
    for variant, layers in (("calm", ["keys"]), ("tense", ["bass", "strings"])):
        for layer in layers:
            audio, sr = sf.read(tmp_path / "render" / "chase" / variant / f"{layer}.wav")
            assert sr == 48000 and len(audio) >= 4 * 48000
            assert abs(audio).max() > 0.01, f"{variant}/{layer} is silent"
    assert "wrote" in out
    out = ok("adapt", project, "--cue", "chase", "--trace", TRACE, "--duration", "6", "-o", tmp_path / "adapt")
    decisions = json.loads((tmp_path / "adapt" / "decisions.json").read_text())
    assert decisions["cue"] == "chase" and abs(decisions["duration"] - 6.0) < 0.05
    assert [(v["name"], v["valence"], v["arousal"]) for v in decisions["variants"]] == \
        [("calm", 0.5, -0.5), ("tense", -0.6, 0.7)]
    audio, sr = sf.read(tmp_path / "adapt" / "adaptive.wav")
    assert len(audio) == 6 * sr and abs(audio).max() > 0.01


BAD = [
    (["set", "{p}", "chase/calm.valence", "1.5"], "error: chase/calm.valence: 1.5 is outside [-1, 1]"),
    (["set", "{p}", "chase/calm.valence", "high"], "error: chase/calm.valence: expected a number, got 'high'"),
    (["set", "{p}", "chase/clam.valence", "0"], "error: chase/clam: no variant 'clam'; did you mean 'calm'?"),
    (["set", "{p}", "chase/calm.valance", "0"], "error: chase/calm.valance: a variant has no field 'valance'"),
    (["set", "{p}", "chsae.tempo", "90"], "error: chsae: no cue 'chsae'; did you mean 'chase'?"),
    (["set", "{p}", "chase/calm/keys.instrument", "nosuch"], "error: chase/calm/keys.instrument: unknown plugin 'nosuch'"),
    # before: saved as a VST2 (plugins trust refused the same path as "not a plugin")
    (["set", "{p}", "chase/calm/keys.instrument", "../../../../etc/passwd"],
     "error: chase/calm/keys.instrument: plugin '../../../../etc/passwd': not a plugin file"),
    (["set", "{p}", "chase/calm/keys.instrument.params.brightnes", "0.5"],
     "error: chase/calm/keys.instrument.params.brightnes: keys has no parameter 'brightnes'"),
    (["add", "cue", "{p}", "chase"], "error: chase: there is already a cue named 'chase'"),
    (["add", "cue", "{p}", "b", "--bars", "two"], "error: --bars: expected a whole number, got 'two'"),
    (["add", "variant", "{p}", "chase/x", "--valence", "lots"], "error: --valence: expected a number, got 'lots'"),
    (["add", "variant", "{p}", "chase", "--valence", "0"], "error: chase: expected CUE/VARIANT"),
    (["add", "layer", "{p}", "chase/calm/k2", "--instrument", "room"],
     "error: chase/calm/k2.instrument: room is an effect, not an instrument"),
    (["rm", "{p}", "chase/calm"], "error: chase/calm: a cue needs at least one variant"),
    (["rm", "{p}", "chase/calm/piano"], "error: chase/calm/piano: no layer 'piano'"),
    (["mv", "{p}", "chase/calm", "a/b"], "error: chase/calm: a variant name 'a/b' may not contain '/'"),
    (["show", "{p}", "chase/cool"], "error: chase/cool: no variant 'cool'"),
    (["clip", "move", "{p}", "chase/calm/keys", "2", "4"], "error: chase/calm/keys.clips[2]: the layer has 1 clip"),
    (["clip", "transpose", "{p}", "chase/calm/keys", "0", "80"], "error: chase/calm/keys.clips[0]: transposing by +80"),
    (["transition", "{p}", "chase", "calm", "*", "--fade-beats", "-1"],
     "error: chase.transitions[calm -> *].fade_beats: -1 is outside [0, 1024]"),
    (["transition", "{p}", "chase", "calm", "tense"], "error: chase.transitions calm -> tense: to: no variant 'tense'"),
    (["set", "{missing}", "chase/calm.valence", "0"], "no project here (create one with: composer-assist new"),
    (["new", "{p}"], "a project already exists here"),
    (["marker", "{p}", "chase", "end", "9"], "error: chase.markers[0].beat: beat 9 is past the cue end (8)"),
    (["marker", "{p}", "chase", "end"], "error: chase.markers.end: give a BEAT (or --remove)"),
    (["set", "{p}", "chase/calm.valence"], "error: chase/calm.valence: give one VALUE"),
    (["set", "{p}", "chase/calm.valence", "0.1", "0.2"], "error: chase/calm.valence: give one VALUE, got 2: 0.1 0.2"),
    (["set", "{p}", "chase/calm.intensity", "-0.5,0.3"], "error: chase/calm.intensity[0]: -0.5 is outside [0, 1]"),
    (["import-midi", "{p}/../a.mid", "{p}", "--cue", "chase", "--variant", "calm", "--layer", "keys", "--instrument",
      "room"], "error: --instrument: room is an effect, not an instrument"),
    # before: "no such project file" for a package zip that is not there
    (["validate", "{missing}.zip"], ".zip: no such cue package"),
    (["validate", "{missing}"], ": no such project or cue package"),
]


@pytest.fixture(scope="module")
def small_project(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("authoring")
    p = tmp / "p"
    ok("new", p)
    ok("add", "cue", p, "chase", "--variant", "calm", "--bars", "2")
    ok("add", "layer", p, "chase/calm/keys")
    ok("clip", "import", p, "chase/calm/keys", write_midi(tmp / "a.mid"))
    return p


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a[:3]) + f" {i}" for i, (a, _) in enumerate(BAD)])
def test_bad_paths_and_values_are_one_line_and_exit_2(small_project, args, message, tmp_path, capsys):
    from composer_assist.cli.main import main  # in-process: the same main() the console script runs

    before = (small_project / "project.json").read_bytes()
    code = main([a.format(p=small_project, missing=tmp_path / "none") for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert message in err, err
    assert (small_project / "project.json").read_bytes() == before


@pytest.mark.slow
def test_a_bad_vst_parameter_is_refused_at_set_time(tmp_path):
    """amsynth scanned by `plugins scan`; a misspelt parameter or a value outside 0..1 is refused by `set`."""
    if not Path("/usr/lib/vst/amsynth_vst.so").exists():
        pytest.fail("amsynth (Debian package amsynth) is not installed at /usr/lib/vst")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COMPOSER_ASSIST_CACHE": str(tmp_path / "cache")}
    p = tmp_path / "p"
    ok("new", p, env=env)
    ok("add", "cue", p, "chase", "--variant", "calm", "--bars", "2", env=env)
    ok("add", "layer", p, "chase/calm/synth", "--instrument", "amsynth_vst.so", env=env)
    path = "chase/calm/synth.instrument.params.filter_cutof"
    before = (p / "project.json").read_bytes()
    r = _run(["set", p, path, "0.3"], env)  # not scanned yet: its parameters are unknown
    assert r.returncode == 2 and "amsynth_vst.so has not been scanned" in r.stderr and "plugins scan" in r.stderr
    ok("plugins", "scan", env=env)
    r = _run(["set", p, path, "0.3"], env)
    assert r.returncode == 2, r.stdout
    assert r.stderr.startswith(f"error: {path}: amsynth_vst.so has no parameter 'filter_cutof'; "
                               f"did you mean 'filter_cutoff'"), r.stderr
    assert r.stderr.count("\n") == 1
    r = _run(["set", p, "chase/calm/synth.instrument.params.filter_cutoff", "1.5"], env)
    assert r.returncode == 2 and "1.5 is outside [0, 1]: VST parameter values are normalised" in r.stderr
    assert (p / "project.json").read_bytes() == before
    out = ok("set", p, "chase/calm/synth.instrument.params.filter_cutoff", "0.3", env=env)
    assert "filter_cutoff = 0.3" in out
    saved = json.loads((p / "project.json").read_text())
    assert saved["cues"][0]["variants"][0]["layers"][0]["instrument"]["params"] == {"filter_cutoff": 0.3}
    r = _run(["add", "layer", p, "chase/calm/verb", "--instrument", "MVerb-vst.so"], env)
    assert r.returncode == 2 and "MVerb-vst.so is an effect, not an instrument" in r.stderr
    # A hand-edited file: `validate` checks the VST parameters against the same scan.
    assert "not scanned" not in ok("validate", p, env=env)
    saved["cues"][0]["variants"][0]["layers"][0]["instrument"]["params"] = {"filter_cutof": 0.3}
    (p / "project.json").write_text(json.dumps(saved))
    r = _run(["validate", p], env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"error: {p / 'project.json'}: chase/calm/synth.instrument.params.filter_cutof: "
                               f"amsynth_vst.so has no parameter 'filter_cutof'; did you mean 'filter_cutoff'")


def test_concurrent_edits_take_turns_and_none_is_lost(tmp_path):
    """Four `add variant` runs at once on one project: each waits for the project's lock, loads what
    the previous saved, and all four variants are there at the end."""
    import subprocess
    import sys

    from tests.core.project_testkit import cli_env

    p = tmp_path / "p"
    ok("new", p)
    ok("add", "cue", p, "chase", "--bars", "2")
    procs = [subprocess.Popen([sys.executable, "-m", "composer_assist", "add", "variant", str(p), f"chase/v{i}",
                               "--valence", f"{i / 10:g}"], env=cli_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    variants = json.loads((p / "project.json").read_text())["cues"][0]["variants"]
    assert sorted(v["name"] for v in variants) == ["main"] + [f"v{i}" for i in range(4)]
    assert {v["name"]: v["valence"] for v in variants}["v3"] == 0.3


def test_a_shorter_cue_says_to_move_the_loop_first(tmp_path, root, capsys):
    import shutil

    from composer_assist.cli.main import main

    demo = shutil.copytree(root / "projects" / "demo", tmp_path / "demo")
    assert main(["set", str(demo), "night_chase.meter", "7/8"]) == 2
    err = capsys.readouterr().err
    # before: only "night_chase.loop[1]: 32 is outside [0, 28]", about a field not edited
    assert "night_chase.loop[1]: 32 is outside [0, 28]" in err and "move the loop or markers inside it first" in err
    assert main(["set", str(demo), "night_chase.loop", "0,28"]) == 0
    assert main(["set", str(demo), "night_chase.meter", "7/8"]) == 0
