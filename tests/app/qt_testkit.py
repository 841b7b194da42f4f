"""What the studio tests do with the window: wait for playback, drag with the mouse.  (Not in
conftest.py: every test folder has one, and ``from conftest import`` finds whichever came first.)"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QPointF, Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QApplication


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
