"""The playback side of the main window: transport, status bar, overrides, listeners, settings."""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import QLabel

from composer_assist.playback import commands as C

from .settings_dialog import SettingsDialog


class PlayMixin:
    """Methods of MainWindow that drive the transport."""

    def wire_transport(self) -> None:
        t, bar = self.transport, self.bar
        self.output_label = QLabel("output: -")
        self.statusBar().addPermanentWidget(self.output_label)
        t.status.connect(self._status)
        t.started.connect(self._started)
        t.stopped.connect(self._stopped)
        t.error.connect(self.show_error)
        t.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        t.job_started.connect(self.track)
        bar.play.clicked.connect(self.play_pause)
        bar.stop.clicked.connect(self.stop)
        bar.back.clicked.connect(lambda: t.seek_bars(-1))
        bar.forward.clicked.connect(lambda: t.seek_bars(1))
        bar.loop.toggled.connect(self._loop_toggled)
        bar.follow.toggled.connect(self._follow_toggled)
        self.timeline.seek.connect(self.seek_to)
        self.timeline.loop_changed.connect(lambda a, b: self._loop_toggled(bar.loop.isChecked()))
        self.plane.override.connect(lambda v, a: t.post(C.emotion(v, a)))
        self.plane.released.connect(self.release_override)
        self.listeners.chosen.connect(self._profile_chosen)
        self._layer_flags: dict = {}

    # ---- transport ---------------------------------------------------------------------------
    def play_pause(self) -> None:
        """Pause or resume; with nothing playing, render (or take cached) stems and start."""
        t = self.transport
        if t.player is not None:
            t.toggle()
            return
        if t.starting is not None or self.session.project is None or self.cue() is None:
            return
        self.decisions.clear()
        self.timeline.show_cue(self.cue(), self.trace)
        mode = self.bar.mode.currentText()
        if mode == "planned" and self.trace is None:
            self.show_error("planned mode needs a trace: load one (Ctrl+T) or drop it on the window")
            return
        t.start(self.session.project, self.cue().name, self.trace, self.profiles or None, self.profile_index,
                mode=mode)

    def stop(self) -> None:
        self.transport.stop()

    def seek_to(self, seconds: float) -> None:
        self.transport.seek_seconds(seconds)

    def release_override(self) -> None:
        self.transport.post(C.release())

    def _loop_toggled(self, on: bool) -> None:
        self.actions_by_name["loop"].setChecked(on)
        if self.bar.loop.isChecked() != on:
            self.bar.loop.setChecked(on)
        cue = self.cue()
        if cue is None:
            return
        if on:
            a, b = self.timeline.loop.getRegion()
            beats = (round(cue.tempo.beat_at(max(0.0, a))), round(cue.tempo.beat_at(max(0.0, b))))
            self.transport.set_loop(*beats)
            self.timeline.set_active_loop(beats)
        else:
            self.transport.set_loop(None, None)
            self.timeline.set_active_loop(None)

    def _follow_toggled(self, on: bool) -> None:
        self.timeline.follow = on
        self.actions_by_name["follow"].setChecked(on)
        if self.bar.follow.isChecked() != on:
            self.bar.follow.setChecked(on)

    # ---- status ------------------------------------------------------------------------------
    def _started(self, player: Any) -> None:
        self.decisions.clear()
        self.bar.mode.setEnabled(False)
        if self.bar.loop.isChecked():
            self._loop_toggled(True)

    def _stopped(self) -> None:
        self.bar.show_status(None)
        self.bar.mode.setEnabled(True)
        self.plane.show_status(None)
        self.output_label.setText("output: -")

    def _status(self, st: Any) -> None:
        player = self.transport.player
        self.bar.show_status(st)
        self.plane.show_status(st)
        self.timeline.show_status(st, player)
        if player is not None:
            self.decisions.update_from(player)
        out = st.output
        if out is not None:
            self.output_label.setText(f"output: {getattr(out, 'backend', '?')}  underruns {out.underruns}  "
                                      f"latency {out.latency * 1000:.0f} ms")

    # ---- listeners and settings --------------------------------------------------------------
    def _profile_chosen(self, index: Any) -> None:
        """Follow a cluster's taste; while playing the switch is live (the player's profile command)."""
        self.profile_index = index
        player = self.transport.player
        if player is not None and player.profiles:
            self.transport.post(player.profile_command(index))
        elif player is not None and index is not None:
            self.statusBar().showMessage("profiles loaded after play started: they apply from the next play", 8000)

    def settings_dialog(self) -> None:
        dialog = SettingsDialog(self.transport.settings, self)
        if dialog.exec():
            self.transport.settings = dialog.result_settings()
            self.statusBar().showMessage("audio settings apply from the next play", 5000)

    # ---- the tree's context menu -------------------------------------------------------------
    def _tree_action(self, key: str, path: tuple) -> None:
        t, project = self.transport, self.session.project
        if key in ("add_variant", "add_layer", "duplicate", "rename", "remove"):
            self.structure_action(key, path)
        elif key == "preview":
            if path[0] != self.bar.cue.currentText():
                self.bar.cue.setCurrentText(path[0])
            self.play_pause()
        elif key == "override":
            v = project.cue(path[0]).variant(path[1])
            t.post(C.emotion(v.valence, v.arousal))
        elif key in ("solo", "mute") and t.player is not None:
            stems = t.player.stems
            vi = stems.variant_index(path[1])
            li = stems.layer_names[vi].index(path[2])
            state = self._layer_flags.setdefault((key, vi, li), False)
            self._layer_flags[(key, vi, li)] = not state
            t.post((C.solo if key == "solo" else C.mute)(vi, li, not state))
        elif key == "rerender":
            self.track(t.rerender(project, path))
        elif key == "import_midi":
            from PyQt6.QtWidgets import QFileDialog

            midi, _ = QFileDialog.getOpenFileName(self, "Import MIDI into layer", "", "MIDI (*.mid *.midi)")
            if midi:
                self.import_midi(path, midi)
