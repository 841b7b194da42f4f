"""Fixtures for the studio tests: a window on the null output, the demo project copied, a small
two-variant project that renders in a few seconds."""

from __future__ import annotations

import shutil
import time

import pytest
from composer_assist.core.project import Note, Variant, save_project
from composer_assist.core.timing import TempoMap

from render_testkit import layer, project, write_tone


@pytest.fixture(autouse=True)
def _studio_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_STUDIO_SETTINGS", str(tmp_path / "studio.ini"))


@pytest.fixture
def demo(tmp_path, root):
    """A copy of projects/demo (saving never touches the checkout)."""
    return shutil.copytree(root / "projects" / "demo", tmp_path / "demo")


def _notes(pitch: int, beats: int, step: float) -> list[Note]:
    return [Note(i * step, step * 0.9, pitch + (i % 3) * 4, 100) for i in range(int(beats / step))]


@pytest.fixture
def small(tmp_path):
    """Two variants (calm, tense) of one tone layer each, 4 bars at 120 BPM: renders in seconds."""
    folder = tmp_path / "small"
    tone = write_tone(folder)
    calm = Variant("calm", 0.5, -0.5, ["calm"], layers=[layer("lead", tone, _notes(60, 16, 1.0), gain_db=-6.0)])
    tense = Variant("tense", -0.6, 0.7, ["tense"], layers=[layer("lead", tone, _notes(48, 16, 0.25))])
    p = project(folder, [], tempo=TempoMap.constant(120), bars=4, variants=[calm, tense])
    p.cues[0].adaptive.dwell_bars = 1.0  # may switch after 2 s: the tests play a few seconds
    save_project(p)
    return folder


@pytest.fixture
def window(qtbot):
    from composer_assist.app.transport import OutputSettings
    from composer_assist.app.window import MainWindow

    w = MainWindow(OutputSettings(null=True, block=512))
    w.ask_unsaved = lambda: "discard"
    w.ask_recover = lambda auto: True
    qtbot.addWidget(w)
    w.show()
    yield w
    w.transport.stop()
    time.sleep(0.05)  # the output's threads close in the background
