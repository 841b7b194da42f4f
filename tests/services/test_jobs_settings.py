"""Service layer: jobs report progress, cancel at the next step (a real render too) and hand back
errors; settings round-trip through an atomic JSON file with a schema version; the render plan
refuses bad cue and variant choices before any work."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from composer_assist.core.errors import ProjectError, RenderError
from composer_assist.core.project import load_project
from composer_assist.services.jobs import Job, JobCancelled, render_job
from composer_assist.services.render import plan_render
from composer_assist.services.settings import (Settings, SettingsError, load_settings, save_settings,
                                               settings_path, update_setting)

ROOT = Path(__file__).resolve().parents[2]


def counting(n: int, pause: float = 0.01):
    def work(progress):
        for i in range(n + 1):
            progress(i, n)
            time.sleep(pause)
        return n
    return work


def test_a_job_runs_in_a_thread_and_reports_progress():
    seen = []
    job = Job("count", counting(20), on_progress=lambda d, t: seen.append((d, t))).start()
    assert job.result(timeout=10) == 20
    assert job.state == "done" and job.progress == (20, 20)
    assert seen[0] == (0, 20) and seen[-1] == (20, 20)
    assert job._future is not None and job._future.done()


def test_cancel_stops_at_the_next_progress_step():
    started = threading.Event()
    job = Job("count", counting(10_000), on_progress=lambda d, t: started.set()).start()
    assert started.wait(5)
    job.cancel()
    assert job.wait(5)
    assert job.state == "cancelled"
    assert job.progress[0] < 10_000
    with pytest.raises(JobCancelled, match="count: cancelled"):
        job.result()


def test_a_failing_job_hands_its_error_to_result():
    def work(progress):
        progress(0, 1)
        raise ProjectError("x/project.json: cues[0].name: bad")
    job = Job("bad", work).start()
    assert job.wait(5) and job.state == "failed"
    with pytest.raises(ProjectError, match="cues\\[0\\].name: bad"):
        job.result()


def test_a_job_cancelled_before_it_starts_never_runs():
    ran = []
    job = Job("never", lambda progress: ran.append(1))
    job.cancel()
    job.start()
    assert job.wait(5) and job.state == "cancelled" and not ran


@pytest.mark.slow
def test_cancelling_a_real_render_stops_it_and_the_next_render_works(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))  # cold: every stem renders
    project = load_project(ROOT / "projects" / "demo")
    job = render_job(project, "night_chase", use_cache=False)
    t0 = time.monotonic()
    job._on_progress = lambda done, total: job.cancel() if done >= 1 else None
    job.start()
    assert job.wait(120)
    assert job.state == "cancelled", job.error
    done, total = job.progress
    assert 1 <= done < total == sum(len(v.layers) for v in project.cue("night_chase").variants)
    cancelled_after = time.monotonic() - t0
    again = render_job(project, "night_chase", variants=["calm"], use_cache=False).start()
    render = again.result(timeout=120)
    assert again.state == "done" and sorted(render.stems["calm"]) == ["bass", "keys", "pad", "strings"]
    assert cancelled_after < 60


def test_settings_round_trip_atomically(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert settings_path() == tmp_path / "composer-assist" / "settings.json"
    assert load_settings() == Settings()  # no file yet: defaults
    save_settings(Settings(cache_dir=str(tmp_path / "c"), audio_device="pulse", block_size=256))
    data = json.loads(settings_path().read_text())
    assert data == {"schema_version": 1, "cache_dir": str(tmp_path / "c"), "model_dir": None,
                    "audio_device": "pulse", "block_size": 256}
    assert load_settings().block_size == 256
    update_setting("block_size", "1024")
    update_setting("audio_device", "none")
    s = load_settings()
    assert (s.block_size, s.audio_device, s.cache_dir) == (1024, None, str(tmp_path / "c"))
    assert sorted(p.name for p in settings_path().parent.iterdir()) == ["settings.json"]  # no temp file left


@pytest.mark.parametrize("content, message", [
    ({"schema_version": 1, "block_sise": 512}, "unknown setting 'block_sise'; did you mean 'block_size'?"),
    ({"schema_version": 1, "block_size": 500}, "block_size: 500 is not one of 64, 128"),
    ({"schema_version": 9}, "schema_version: 9 is not supported"),
    ({"schema_version": 1, "cache_dir": 5}, "cache_dir: expected a non-empty text or null, got 5"),
    # before: loaded, then every command stopped at start with "embedded null byte"
    ({"schema_version": 1, "cache_dir": "a\u0000b"}, "cache_dir: contains the control character U+0000"),
    ({"schema_version": True}, "schema_version: True is not supported"),
    ({"schema_version": 1, "audio_device": -5}, "audio_device: -5 is no device number"),
])
def test_bad_settings_files_name_the_file_and_key(tmp_path, monkeypatch, content, message):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text(json.dumps(content))
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(str(settings_path()))
    assert message in str(err.value)


def test_update_refuses_unknown_settings_and_values(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(SettingsError, match="block_size: expected a whole number, got 'big'"):
        update_setting("block_size", "big")
    with pytest.raises(SettingsError, match="no such setting; did you mean 'cache_dir'"):
        update_setting("cache_dirs", "/tmp/x")
    assert not settings_path().exists()


def test_the_render_plan_refuses_before_any_work(tmp_path):
    project = load_project(ROOT / "projects" / "demo")
    assert plan_render(project, None, None, tmp_path) == [("night_chase", None)]
    assert plan_render(project, None, ["calm", "nope"], tmp_path) == [("night_chase", ["calm"])]
    with pytest.raises(ProjectError, match="has no cue 'nigh'"):
        plan_render(project, ["nigh"], None, tmp_path)
    with pytest.raises(ProjectError, match="cue 'night_chase' has none of the variants nope"):
        plan_render(project, None, ["nope"], tmp_path)
    project.cues.append(load_project(ROOT / "projects" / "demo").cues[0])
    project.cues[-1].name = "Night_Chase"
    with pytest.raises(RenderError, match="would both be written"):
        plan_render(project, None, None, tmp_path)
    assert not any(tmp_path.iterdir())


def test_the_settings_command_changes_and_every_command_uses_the_cache_folder(tmp_path, monkeypatch, capsys):
    from composer_assist.cli.main import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("COMPOSER_ASSIST_CACHE")
    assert main(["settings", "cache_dir", str(tmp_path / "mycache")]) == 0
    assert f"cache_dir     {tmp_path / 'mycache'}" in capsys.readouterr().out
    assert main(["settings", "block_size", "300"]) == 2
    assert capsys.readouterr().err == "error: settings: block_size: 300 is not one of 64, 128, 256, 512, 1024, 2048, 4096\n"
    assert main(["validate", str(ROOT / "projects" / "demo")]) == 0
    from composer_assist.core.plugins.scan_cache import cache_dir
    assert cache_dir() == tmp_path / "mycache"  # what the scan and the stem cache will use


@pytest.mark.realtime
def test_play_uses_the_audio_device_the_settings_name(tmp_path, monkeypatch, capsys, pulse_server):
    """The device chosen once in the settings (as the app does) is the one `play` opens: a device that
    does not exist is refused by name, before any rendering."""
    from composer_assist.cli.main import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert main(["settings", "audio_device", "no-such-device"]) == 0
    capsys.readouterr()
    t0 = time.monotonic()
    assert main(["play", str(ROOT / "projects" / "demo"), "--cue", "night_chase", "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "no-such-device" in err and err.count("\n") == 1, err
    assert time.monotonic() - t0 < 10


def test_a_folder_setting_is_kept_absolute_made_now_and_refused_when_it_cannot_be(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)
    # before: "stems" was kept as typed, so every command read a cache relative to where it ran
    assert update_setting("cache_dir", "stems").cache_dir == str(tmp_path / "stems")
    assert (tmp_path / "stems").is_dir()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(SettingsError, match=r"cache_dir: .*afile is a file, not a folder"):
        update_setting("cache_dir", "afile")
    with pytest.raises(SettingsError, match=r"model_dir: cannot make the folder .*afile/models"):
        update_setting("model_dir", str(tmp_path / "afile" / "models"))
    assert load_settings().cache_dir == str(tmp_path / "stems")  # a refused value changes nothing
