"""Fixtures for the studio tests: a window on the null output, the demo project copied, a small
two-variant project that renders in a few seconds."""

from __future__ import annotations

import shutil
import time

import pytest
from PyQt6.QtCore import QEvent, QPointF, Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QApplication

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


def wait_playing(qtbot, w, timeout_ms: int = 60000) -> None:
    qtbot.waitUntil(lambda: w.transport.player is not None or bool(w.errors), timeout=timeout_ms)
    assert not w.errors, w.errors


def drag(qtbot, plane, item, to: tuple[float, float], release: bool = True) -> None:
    """Drag a plane item with the mouse (press, a few moves with the button held, release)."""
    vb = plane.getPlotItem().getViewBox()
    start = plane.mapFromScene(item.scenePos())
    end = plane.mapFromScene(vb.mapViewToScene(QPointF(*to)))
    vp = plane.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, pos, button, buttons):
        QApplication.sendEvent(vp, QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))

    send(QEvent.Type.MouseButtonPress, start, left, left)
    for k in range(1, 9):
        p = start + (end - start) * (k / 8)
        send(QEvent.Type.MouseMove, p, none, left)
        qtbot.wait(10)
    if release:
        send(QEvent.Type.MouseButtonRelease, end, left, none)
