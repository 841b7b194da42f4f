"""Bad --jobs/--timeout/--resample are argparse errors (one line); the pool clamps a size below 1; save-state paths are checked."""

from __future__ import annotations

import pytest

from composer_assist.audio.plugins import save_plugin_state
from composer_assist.audio.workers import WorkerPool
from composer_assist.cli.main import main
from composer_assist.core.errors import PluginError


@pytest.mark.parametrize("argv,msg", [
    (["plugins", "scan", "--jobs", "-1"], "--jobs: expected a whole number >= 1, got '-1'"),
    (["plugins", "scan", "--jobs", "0"], "--jobs: expected a whole number >= 1"),
    (["plugins", "scan", "--timeout", "nan"], "--timeout: expected a finite number of seconds > 0, got 'nan'"),
    (["plugins", "scan", "--timeout", "0"], "--timeout: expected a finite number of seconds > 0"),
    (["plugins", "scan", "--timeout", "-5"], "--timeout: expected a finite number of seconds > 0"),
    (["render", "proj", "--jobs", "-1"], "--jobs: expected a whole number >= 1"),
    (["render", "proj", "--timeout", "inf"], "--timeout: expected a finite number of seconds > 0"),
    (["render", "proj", "--jobs", "0"], "--jobs: expected a whole number >= 1, got '0'"),
    (["demo", "--jobs", "0"], "--jobs: expected a whole number >= 1, got '0'"),
    (["demo", "--jobs", "-3"], "--jobs: expected a whole number >= 1, got '-3'"),
    (["adapt", "proj", "--cue", "c", "--trace", "t.csv", "-o", "out", "--jobs", "0"],
     "--jobs: expected a whole number >= 1, got '0'"),
    (["trace", "convert", "in.csv", "-o", "out.csv", "--resample", "0"],
     "--resample: expected a finite number of Hz > 0, got '0'"),
    (["trace", "convert", "in.csv", "-o", "out.csv", "--resample", "-2"],
     "--resample: expected a finite number of Hz > 0, got '-2'"),
    (["trace", "convert", "in.csv", "-o", "out.csv", "--resample", "fast"], "--resample: expected Hz > 0, got 'fast'"),
])
def test_bad_jobs_and_timeout_are_usage_errors(argv, msg, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert msg in err.splitlines()[-1] and "Traceback" not in err


def test_pool_run_with_size_below_one_still_runs(tmp_path):
    pool = WorkerPool(1)
    try:
        [r] = pool.run([{"op": "probe", "path": str(tmp_path / "none.so"), "kind": "vst2"}], 30.0, size=-1)
    finally:
        pool.close()
    assert not r.ok and "none.so" in r.error


def test_save_state_checks_the_output_path_first(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    with pytest.raises(PluginError, match="is a folder"):
        save_plugin_state("amsynth_vst.so", tmp_path)
    with pytest.raises(PluginError, match="missing.* does not exist"):
        save_plugin_state("amsynth_vst.so", tmp_path / "missing" / "x.fxp")
    out = save_plugin_state("amsynth_vst.so", tmp_path / "x.fxp", {"filter_cutoff": 0.3})
    assert out.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["x.fxp"]  # no temp file left


def test_save_state_command_error_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    assert main(["plugins", "save-state", "amsynth_vst.so", str(tmp_path / "nope" / "s.fxp")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "does not exist" in err


def test_a_usage_error_is_one_line_naming_the_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["adapt", "projects/demo", "--cue", "c"])
    err = capsys.readouterr().err
    # before: the usage block first, then "composer-assist adapt: error: ..."
    assert exc.value.code == 2 and err.count("\n") == 1, err
    assert err.startswith("error: composer-assist adapt: the following arguments are required") and "--help" in err
