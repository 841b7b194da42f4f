"""The transport: a player and its audio output, driven from the GUI thread without waiting.

Rendering the stems, building the player and opening the output run as jobs; the player's status
is polled on a QTimer (the audio side never touches a Qt object).  Commands go through this
thread's own command queue.  A re-rendered layer is laid out off the GUI thread and swapped in
while the music plays.
"""

from __future__ import annotations


import contextlib
import copy
import dataclasses
import threading
from dataclasses import dataclass
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from composer_assist.playback import commands as C

from .jobs import Job

POLL_MS = 40  # 25 status reads a second: a smooth playhead, little painting (it holds the GIL)


@dataclass
class OutputSettings:
    """Where and how to play (the settings dialog edits these)."""

    device: str | None = None  # None: the default device
    null: bool = False  # no device: the same producer and ring paced in real time
    block: int = 512
    jobs: int = 2  # render worker processes


def snapshot(project: Any, cue: str, variant: str | None = None) -> Any:
    """A copy of ``project`` the GUI's later edits cannot reach: the cue (or only its variant)
    copied deeply, the rest shared (only read).  Copying the whole demo took 13 ms."""
    c = project.cue(cue)
    if variant is None:
        new_cue = copy.deepcopy(c)
    else:
        new_cue = dataclasses.replace(c, variants=[copy.deepcopy(v) if v.name == variant else v for v in c.variants])
    return dataclasses.replace(project, cues=[new_cue if x is c else x for x in project.cues])


class Transport(QObject):
    status = pyqtSignal(object)  # PlayerStatus, each poll while a player exists
    started = pyqtSignal(object)  # the player
    stopped = pyqtSignal()
    error = pyqtSignal(str)
    message = pyqtSignal(str)
    job_started = pyqtSignal(object)  # a Job (the window shows its progress)

    def __init__(self, settings: OutputSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or OutputSettings()
        self.player: Any = None
        self.queue: Any = None
        self.output: Any = None
        self._ctx: contextlib.ExitStack | None = None
        self.sink: Any = None  # tests: every block the null output consumed
        self.starting: Job | None = None
        self.swaps = 0
        self._pending_swap: tuple | None = None  # (LayerSwap, player's refusals when posted, tries)
        self._polls = 0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def playing(self) -> bool:
        return self.player is not None and self.player.status.state == "playing"

    # ---- start / stop ------------------------------------------------------------------------
    def start(self, project: Any, cue: str, trace: Any = None, profiles: list | None = None,
              profile: int | None = None, mode: str = "live", start_s: float = 0.0) -> Job:
        """Render (or take cached) stems and start playing, all in a job."""
        self.stop()
        snap = snapshot(project, cue)  # edits may go on while the stems render
        s = self.settings
        sink = self.sink

        def work(progress):
            from composer_assist.services.play import open_output, start_player

            output = open_output(s.device, null=s.null, block=s.block, sample_rate=snap.sample_rate, sink=sink)
            chosen = profiles[profile] if profiles and profile is not None else None
            player = start_player(snap, cue, trace, mode=mode, profile=chosen, block=s.block,
                                  start=("seconds", start_s, 0) if start_s else None, jobs=s.jobs,
                                  progress=progress, profiles=profiles)
            queue = player.command_queue()
            ctx = contextlib.ExitStack()
            out = ctx.enter_context(output.play(player))
            return player, queue, output, ctx, out

        def discard(result: tuple) -> None:  # stopped after the output had started: stop it too
            threading.Thread(target=result[3].close, name="close output", daemon=True).start()

        job = Job(f"render and play {cue}", work, self, discard=discard)
        job.finished.connect(self._started)
        job.failed.connect(self._failed)
        self.starting = job
        self.job_started.emit(job)
        return job.start()

    def _failed(self, why: str) -> None:
        self.starting = None  # play can be pressed again (after fixing what failed)
        self.error.emit(why)

    def _started(self, result: tuple) -> None:
        self.player, self.queue, self.output, self._ctx, _out = result
        self.starting = None
        self._timer.start()
        self.started.emit(self.player)
        self.message.emit(f"playing {self.player.cue.name} ({self.player.mode})")

    def stop(self) -> None:
        """Stop and close the output (its threads end in the background)."""
        if self.starting is not None:
            self.starting.cancel()
            self.starting = None
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            threading.Thread(target=ctx.close, name="close output", daemon=True).start()
        if self.player is not None:
            self._timer.stop()
            self.player = self.queue = self.output = self._pending_swap = None
            self.stopped.emit()

    def _poll(self) -> None:
        if self.player is None:
            return
        self._polls += 1
        # Whether the output died: once a second (its statistics cost ~2 ms to gather).
        check = self.output is not None and self._polls % max(1, 1000 // POLL_MS) == 0
        why = self.output.failed() if check else None
        if why:
            self.error.emit(f"playback stopped: {why}")
            self.stop()
            return
        if self._pending_swap is not None:
            self._check_swap()
        self.status.emit(self.player.status)

    # ---- commands ----------------------------------------------------------------------------
    def post(self, command: tuple) -> bool:
        return self.queue.post(command) if self.queue is not None else False

    def toggle(self) -> None:
        if self.player is not None:
            self.post(C.pause() if self.player.status.state == "playing" else C.play())

    def seek_seconds(self, seconds: float) -> None:
        if self.player is not None:
            self.post(C.seek(int(max(0.0, seconds) * self.player.sample_rate)))

    def seek_bars(self, delta: int) -> None:
        """Jump ``delta`` bars on the timeline from the bar playing, to its beat 1 (``Player.bar_jump``)."""
        if self.player is not None:
            self.post(self.player.bar_jump(delta))

    def set_loop(self, start_beat: float | None, end_beat: float | None) -> None:
        if self.player is not None:
            self.post(self.player.loop_region(start_beat, end_beat))

    # ---- a layer re-rendered while playing ---------------------------------------------------
    def rerender(self, project: Any, path: tuple) -> Job | None:
        """Render one layer again (a job, worker processes) and swap it into the playing player."""
        player = self.player
        if player is None or path[0] != player.cue.name:
            return None
        cue, variant, layer = path
        snap = snapshot(project, cue, variant)
        s = self.settings

        def work(progress):
            from composer_assist.services.play import render_layer

            swap = render_layer(snap, player, cue, variant, layer, jobs=s.jobs, progress=progress)
            return None if swap is None else (swap, swap.command(player))  # laid out here, off the GUI

        job = Job(f"re-render {cue}/{variant}/{layer}", work, self)
        job.quiet = True  # shown in the status bar: a dialog popping up would stall the GUI
        job.finished.connect(lambda got: self._swap(player, got))
        job.failed.connect(self.error.emit)
        self.job_started.emit(job)
        return job.start()

    def _swap(self, player: Any, got: tuple | None) -> None:
        if got is not None and player is self.player:
            swap, command = got
            self._pending_swap = (swap, player.rejected, 0)
            self.post(command)
            self.swaps += 1
            self.message.emit("re-rendered stem swapped in")

    def _check_swap(self) -> None:
        """A swap laid out for a loop region changed before it landed is refused whole by the
        player: lay it out again for the region playing now (a few ms, rare)."""
        swap, seen, tries = self._pending_swap
        player = self.player
        if player.rejected == seen:
            return
        if player.last_rejected.startswith(f"{C.SWAP}:") and tries < 3:
            self._pending_swap = (swap, player.rejected, tries + 1)
            self.post(swap.command(player))
        else:
            self._pending_swap = None
