"""The studio's main window: tree, inspector, timeline, emotion plane, transport and panels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (QDockWidget, QMainWindow, QMessageBox, QProgressDialog, QSplitter, QTabWidget)

from composer_assist.core.errors import ComposerAssistError

from .decisions import DecisionLog
from composer_assist.core.edit import affected, set_field

from .edits import loc
from .emotion_plane import EmotionPlane
from .inspector import Inspector
from .jobs import Job
from .listeners import ListenersPanel
from .matrix import TransitionMatrix
from .session import Session
from .timeline import Timeline
from .transport import OutputSettings, Transport
from .transport_bar import TransportBar
from .tree import ProjectTree
from .window_actions import build_menus
from .window_files import FilesMixin
from .window_play import PlayMixin
from .window_structure import StructureMixin

TITLE = "Composer Assist Studio"


class MainWindow(FilesMixin, PlayMixin, StructureMixin, QMainWindow):
    def __init__(self, settings: OutputSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.resize(1560, 940)
        self.setAcceptDrops(True)
        self.errors: list[str] = []  # every message shown (tests read it)
        self.jobs: list[Job] = []
        self.trace: Any = None
        self.profiles: list = []
        self.profile_index: int | None = None
        self.session = Session(self)
        self.transport = Transport(settings, self)
        self._build_views()
        self._wire()
        build_menus(self)
        self.statusBar().showMessage("Open a project (Ctrl+O) to start.")

    # ---- layout ------------------------------------------------------------------------------
    def _build_views(self) -> None:
        self.tree = ProjectTree()
        self.inspector = Inspector()
        self.timeline = Timeline()
        self.plane = EmotionPlane()
        self.matrix = TransitionMatrix()
        self.listeners = ListenersPanel()
        self.decisions = DecisionLog()
        self.bar = TransportBar()
        self.addToolBar(self.bar)
        self.panels = QTabWidget()
        self.panels.addTab(self.decisions, "Decision log")
        self.panels.addTab(self.matrix, "Transition matrix")
        self.panels.addTab(self.listeners, "Listeners")
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.plane)
        bottom.addWidget(self.panels)
        bottom.setSizes([440, 740])
        centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(self.timeline)
        centre.addWidget(bottom)
        centre.setSizes([500, 390])
        # A smaller window shrinks the panels below before the three timeline plots, whose lanes
        # (a row per variant) stop being readable under ~110 px each
        centre.setStretchFactor(0, 3)
        centre.setStretchFactor(1, 2)
        self.timeline.setMinimumHeight(330)
        self.setCentralWidget(centre)
        # Tree above inspector in one column on the left: the timeline and panels get the width.
        docks = []
        for title, widget in (("Project", self.tree), ("Inspector", self.inspector)):
            dock = QDockWidget(title, self)
            dock.setObjectName(title)
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            docks.append(dock)
        self.resizeDocks(docks, [380, 380], Qt.Orientation.Horizontal)
        self.resizeDocks(docks, [260, 640], Qt.Orientation.Vertical)

    def _wire(self) -> None:
        s = self.session
        s.loaded.connect(self._project_loaded)
        s.changed.connect(self._project_changed)
        s.clean_changed.connect(self._update_title)
        self.tree.selected.connect(lambda path: self.inspector.show_path(s.project, path))
        self.tree.midi_dropped.connect(self.import_midi)
        self.tree.action_requested.connect(self._tree_action)
        self.inspector.edit.connect(self.edit)
        self.inspector.rename.connect(self.rename_to)
        self.inspector.choose_plugin.connect(self.choose_plugin)
        self.plane.variant_moved.connect(self._variant_moved)
        self.matrix.edit.connect(self.edit)
        self.bar.cue.currentTextChanged.connect(self._cue_chosen)
        self.wire_transport()

    # ---- the project -------------------------------------------------------------------------
    def cue(self) -> Any:
        project, name = self.session.project, self.bar.cue.currentText()
        if project is None or not project.cues:
            return None
        return next((c for c in project.cues if c.name == name), project.cues[0])

    def _project_loaded(self) -> None:
        project = self.session.project
        self.bar.set_cues([c.name for c in project.cues] if project else [])
        self.timeline.forget_loop()
        self.tree.show_project(project)
        self._cue_chosen()
        self._update_title()

    def _cue_chosen(self, _name: str = "") -> None:
        cue = self.cue()
        self.plane.show_variants(cue)
        self.timeline.show_cue(cue, self.trace)
        self.matrix.show_cue(cue)
        self.decisions.clear()

    def _project_changed(self, command: Any) -> None:
        """After an edit or its undo: redraw what shows the project; re-render a changed layer."""
        project = self.session.project
        names = [c.name for c in project.cues]
        if names != [self.bar.cue.itemText(i) for i in range(self.bar.cue.count())]:
            current = self.bar.cue.currentIndex()
            self.bar.set_cues(names)
            self.bar.cue.setCurrentIndex(min(max(current, 0), len(names) - 1))
        self.tree.show_project(project)  # in place: the selection (and so the inspector) stays
        self.inspector.refresh()
        cue = self.cue()
        self.plane.show_variants(cue)
        self.matrix.show_cue(cue)
        if self.transport.player is not None:
            layers = [(w.cue, w.variant, w.layer) for w in affected(command) if w.layer is not None]
            for path in dict.fromkeys(layers):
                self.track(self.transport.rerender(project, path))

    def edit(self, make: Any) -> Any:
        """Carry out an edit as one undoable step.  ``make(project)`` builds (and so validates) the
        ``core.edit`` command; a refused edit is a message and nothing changes."""
        if self.session.project is None:
            return None
        try:
            command = make(self.session.project) if callable(make) else make
        except ComposerAssistError as exc:
            self.show_error(str(exc))
            self.inspector.refresh()
            return None
        for warning in getattr(command, "warnings", ()):
            self.statusBar().showMessage(warning, 10000)
        self.session.push(command)
        return command

    def _variant_moved(self, name: str, valence: float, arousal: float) -> None:
        cue = self.cue()
        if cue is None:
            return
        where = loc((cue.name, name, None))
        self.edit(lambda p: set_field(p, where, "emotion", (round(valence, 3), round(arousal, 3))))

    def _update_title(self, _clean: bool = True) -> None:
        p = self.session.path
        name = f"{p.parent.name}/{p.name}" if p else "untitled"
        self.setWindowTitle(f"{'*' if self.session.dirty else ''}{name} — {TITLE}")

    # ---- messages and jobs -------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        """A message that does not stop the app (and does not block: the box is window-modal)."""
        self.errors.append(text)
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, "Composer Assist", text, QMessageBox.StandardButton.Ok, self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        self._last_box = box

    def track(self, job: Job | None) -> None:
        """Show a job's progress in a dialog that appears only when it takes a while."""
        if job is None:
            return
        self.jobs.append(job)
        job.finished.connect(lambda *_: self._forget(job))
        job.failed.connect(lambda *_: self._forget(job))
        if getattr(job, "quiet", False):  # background work while playing: the status bar only
            self.statusBar().showMessage(f"{job.title}…", 3000)
            return
        dialog = QProgressDialog(job.title, "Hide", 0, 0, self)
        dialog.setWindowTitle("Working")
        dialog.setMinimumDuration(800)
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setAutoClose(True)
        job.progressed.connect(lambda done, total: (dialog.setMaximum(total), dialog.setValue(done)))
        job.finished.connect(lambda *_: (dialog.reset(), dialog.deleteLater()))
        job.failed.connect(lambda *_: (dialog.reset(), dialog.deleteLater()))

    def _forget(self, job: Job) -> None:
        if job in self.jobs:
            self.jobs.remove(job)

    def busy(self) -> bool:
        return bool(self.jobs)

    def later(self, ms: int, fn) -> None:
        QTimer.singleShot(ms, fn)

    # ---- drops onto the window: a trace file --------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            if path.suffix.lower() in (".csv", ".json", ".tsv", ".txt"):
                event.acceptProposedAction()
                self.load_trace(path)
                return
            if path.name == "project.json" or (path.is_dir() and (path / "project.json").exists()):
                event.acceptProposedAction()
                self.open_project(path)
                return
        event.ignore()

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.transport.stop()
        self.session.discard_autosave()
        event.accept()
