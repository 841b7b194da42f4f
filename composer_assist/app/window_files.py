"""Opening and saving projects, recent files, unsaved-change prompts, crash recovery, traces,
listener profiles, MIDI drops and plugin scans (the file side of the main window)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QFileDialog, QMessageBox

from composer_assist.core.errors import ComposerAssistError

from composer_assist.core.edit import import_clip, set_effects, set_instrument

from .edits import loc
from .jobs import Job
from .plugin_browser import PluginBrowser, all_entries

MAX_RECENT = 8


def studio_settings() -> QSettings:
    """The studio's own settings file, ``studio.ini`` beside the shared ``settings.json``
    (``$XDG_CONFIG_HOME/composer-assist``; ``COMPOSER_ASSIST_STUDIO_SETTINGS`` overrides where)."""
    from composer_assist.services.settings import settings_path

    path = os.environ.get("COMPOSER_ASSIST_STUDIO_SETTINGS") or str(settings_path().parent / "studio.ini")
    return QSettings(path, QSettings.Format.IniFormat)


class FilesMixin:
    """Methods of MainWindow that deal with files."""

    # ---- prompts (tests replace ask_unsaved) -------------------------------------------------
    def ask_unsaved(self) -> str:
        """'save', 'discard' or 'cancel' for unsaved changes."""
        b = QMessageBox.StandardButton
        answer = QMessageBox.question(self, "Unsaved changes", "The project has unsaved changes. Save them?",
                                      b.Save | b.Discard | b.Cancel, b.Save)
        return {b.Save: "save", b.Discard: "discard"}.get(answer, "cancel")

    def ask_recover(self, autosave: Path) -> bool:
        answer = QMessageBox.question(self, "Recover unsaved work",
                                      f"Composer Assist did not close cleanly. Recover the changes autosaved in "
                                      f"{autosave.name}?")
        return answer == QMessageBox.StandardButton.Yes

    def maybe_save(self) -> bool:
        """True when it is fine to drop the open project (saved, discarded, or clean)."""
        if self.session.project is None or not self.session.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    # ---- open / save -------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", "", "Projects (project.json *.json)")
        if path:
            self.open_project(path)

    def open_project(self, path: str | Path) -> bool:
        if not self.maybe_save():
            return False
        self.stop()
        try:
            auto = self.session.recovery_file(path)
            if auto is not None and self.ask_recover(auto):
                self.session.recover(path)
            else:
                self.session.open(path)
                if auto is not None:
                    auto.unlink(missing_ok=True)
        except ComposerAssistError as exc:
            self.show_error(str(exc))
            return False
        self._remember(self.session.path)
        self.statusBar().showMessage(f"opened {self.session.path}", 5000)
        return True

    def save(self) -> bool:
        if self.session.project is None:
            return False
        if self.session.path is None:
            return self.save_as_dialog()
        return self._save(None)

    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", "project.json", "Project (*.json)")
        return self._save(path) if path else False

    def _save(self, path: str | Path | None) -> bool:
        try:
            written = self.session.save(path)
        except ComposerAssistError as exc:
            self.show_error(str(exc))
            return False
        self._remember(written)
        self._update_title()
        self.statusBar().showMessage(f"saved {written}", 5000)
        return True

    # ---- recent files ------------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = studio_settings().value("recent", []) or []
        return [value] if isinstance(value, str) else list(value)

    def _remember(self, path: Path | None) -> None:
        if path is None:
            return
        path = Path(path).absolute()  # a recent file opens from wherever the studio was started
        items = [str(path)] + [p for p in self.recent() if p != str(path)]
        s = studio_settings()
        s.setValue("recent", items[:MAX_RECENT])
        s.sync()
        self.refresh_recent()

    def refresh_recent(self) -> None:
        menu = self.recent_menu
        menu.clear()
        for p in self.recent():
            menu.addAction(p, lambda p=p: self.open_project(p))
        menu.setEnabled(bool(self.recent()))

    # ---- traces and listener profiles --------------------------------------------------------
    def trace_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load emotion trace", "", "Traces (*.csv *.json *.tsv)")
        if path:
            self.load_trace(path)

    def load_trace(self, path: str | Path) -> bool:
        from composer_assist.core.trace import load_trace

        try:
            trace = load_trace(path)
        except ComposerAssistError as exc:
            self.show_error(str(exc))
            return False
        self.load_trace_object(trace, trace.name or Path(path).stem)
        return True

    def load_trace_object(self, trace: Any, label: str) -> None:
        """Show a trace and preview against it from the next play."""
        self.trace = trace
        self.bar.trace.setText(f"trace {label} ({trace.duration:.0f} s)")
        self.plane.show_trace(trace)
        self.timeline.show_cue(self.cue(), trace)

    def profiles_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Listener profiles or model", "",
                                              "Profiles or models (*.json *.npz);;All files (*)")
        if path:
            self.load_profiles(path)

    def load_profiles(self, path: str | Path) -> bool:
        from composer_assist.services.listeners import load_profiles

        try:
            self.profiles = load_profiles(path)
        except ComposerAssistError as exc:
            self.show_error(str(exc))
            return False
        self.listeners.show_profiles(self.profiles, Path(path).name)
        self.panels.setCurrentWidget(self.listeners)
        return True

    # ---- MIDI onto a layer; plugins ----------------------------------------------------------
    def import_midi(self, path: tuple, midi_file: str) -> None:
        self.edit(lambda p: import_clip(p, loc(path), midi_file))

    def choose_plugin(self, path: tuple, slot: int) -> None:
        """The plugin browser for a layer's instrument (slot -1) or an effect slot."""
        layer = self.inspector.layer_page._layer
        current = layer.instrument.plugin if slot < 0 else (
            layer.effects[slot].plugin if 0 <= slot < len(layer.effects) else None)
        dialog = PluginBrowser(all_entries(), "instrument" if slot < 0 else "effect", self, current=current)
        dialog.scan_requested.connect(lambda: (dialog.reject(), self.scan_plugins()))
        if not dialog.exec() or not dialog.chosen() or dialog.chosen() == current:
            return
        ref = dialog.chosen()
        if slot < 0:
            self.edit(lambda p: set_instrument(p, loc(path), ref))
        else:
            refs = [fx.plugin for fx in layer.effects]
            refs[slot:slot + 1] = [ref]
            self.edit(lambda p: set_effects(p, loc(path), refs))

    def scan_plugins(self) -> Job:
        """Scan the plugin folders in the background (a crashing plugin is listed as failed)."""
        from composer_assist.audio.scan import scan_plugins

        job = Job("scan plugins", lambda progress: scan_plugins(progress=progress), self)
        job.finished.connect(lambda r: self._scanned(r))
        job.failed.connect(self.show_error)
        self.track(job.start())
        return job

    def _scanned(self, result: Any) -> None:
        failed = [p for p in result.plugins if not p.ok]
        self.inspector.layer_page.entries = None  # re-read the scan cache
        self.statusBar().showMessage(f"scan: {len(result.plugins)} plugins, {len(failed)} failed", 10000)
        if failed:
            self.show_error("Plugins that failed the scan:\n" + "\n".join(f"{p.ref}: {p.error}" for p in failed[:12]))
