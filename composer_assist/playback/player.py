"""The player: one adaptive cue, block by block, for a device, a file or a test.

``render_block(out)`` is called by one thread only (the producer: a device output's mixing
thread, or a loop writing a file).  It drains the command queues, runs the control ticks that
fall inside the block (live mode: the policy and scheduler stepped with the emotion of that
moment, never a later one), mixes the block and publishes a ``PlayerStatus``.  Control threads
talk to it only through their own ``CommandQueue`` and read ``status`` (an immutable snapshot
swapped in whole), so neither side ever waits for the other.

Decisions land on sample-exact musical boundaries whatever the block size: a tick at sample s
schedules its switch at the first legal boundary at or after s, before the mixer reaches s.
So the offline ``adapt`` (this player fed a trace, no device) and a real-time preview of the same
trace give the same samples.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from composer_assist.core.errors import ProjectError
from composer_assist.core.profile import ClusterProfile

from . import commands as C
from .clock import CueClock
from .commands import CommandQueue
from .mixer import Mixer
from .policy import LivePolicy, PolicyConfig, PolicyTick, TraceFeed, control_track, viewing_of
from .planned import schedule_planned
from .schedule import Schedule, switch_event
from .scheduler import LiveScheduler
from .stems import StemSet

METER_FALL_DB_PER_S = 24.0  # how fast a level meter falls after a peak
METER_RATE_HZ = 25.0  # how often the per-variant meters are measured
DECLICK_S = 0.005  # a seek while playing crossfades the old place into the new over this


@dataclass(frozen=True)
class PlayerStatus:
    """What a transport display shows; a new object per block (read it, never mutate it)."""

    state: str  # "playing", "paused" or "stopped"
    sample: int  # timeline position: samples since the start of the trace / preview
    sample_rate: int
    cue_sample: int  # position inside the cue
    bar: int  # 1-based, in the cue's meter
    beat: float  # 1-based beat of the bar (in the meter's beat unit)
    variant: str | None
    target: str | None  # where a scheduled switch goes
    next_switch: float | None  # seconds on the timeline of that switch
    intensity: float
    valence: float | None  # the emotion the policy last acted on (smoothed)
    arousal: float | None
    override: bool
    profile: str | None  # the listener cluster followed, in words as the listeners panel names it
    layer_gains: dict[str, float]  # layers of the playing variant
    meters_db: dict[str, float]  # per variant, peak level (falls at METER_FALL_DB_PER_S)
    output: Any = None  # what the audio output reported last (underruns, latency, callback times)
    dropped_commands: int = 0  # a queue was full
    rejected_commands: int = 0  # malformed, not applied (see Player.last_rejected)
    switches: int = 0

    @property
    def seconds(self) -> float:
        return self.sample / self.sample_rate


@dataclass
class _Control:
    """Live control state: the policy, the scheduler and where their emotion comes from."""

    policy: LivePolicy
    scheduler: LiveScheduler
    feed: TraceFeed | None
    live: list = field(default_factory=lambda: [0.0, 0.0, None, None])  # valence, arousal, intensity, bpm
    live_active: bool = False  # live readings (OSC) replace the trace until released
    override: tuple | None = None
    last: PolicyTick | None = None


class Player:
    """An adaptive cue player over a ``StemSet`` (see the module docstring)."""

    channels = 2

    def __init__(self, stems: StemSet, mode: str = "live", trace: Any = None,
                 profiles: list[ClusterProfile] | None = None, profile: int | None = None,
                 config: PolicyConfig | None = None, block: int = 512, duration: float | None = None,
                 history_blocks: int = 0, publish_status: bool = True) -> None:
        if mode == "planned" and trace is None:
            raise ProjectError("planned mode needs a trace (the whole curve is planned ahead)")
        self.stems, self.cue, self.mode, self.trace = stems, stems.cue, mode, trace
        self.sample_rate, self.block = stems.sample_rate, int(block)
        self.config, self.duration = config, duration
        self.profiles = list(profiles or [])
        self.profile = self.profiles[profile] if profile is not None else None
        self.mixer = Mixer(stems, block=self.block, history_blocks=history_blocks)
        self.rate = float(self.cue.adaptive.control_rate)
        self._base_luts = [lut.copy() for lut in stems.luts]
        self._mask = [np.ones(lut.shape[1], dtype=np.float32) for lut in stems.luts]
        self._solo = [np.zeros(lut.shape[1], dtype=bool) for lut in stems.luts]
        self._queues: list[CommandQueue] = []
        self._output: Any = None
        self.command_log: list[tuple[int, str]] = []  # (timeline sample, command) as applied: a replay
        self.rejected, self.last_rejected = 0, ""
        self._meter_db = np.full(len(stems.variant_names), -120.0)
        self._meter_every = max(1, round(self.sample_rate / (self.block * METER_RATE_HZ)))
        self._blocks = 0
        self.state = "playing"
        # Pause, stop and play ramp the music out or in over one block; a seek while playing
        # crossfades over DECLICK_S (a cut there was a click: a step of ~0.05 in one sample).
        ramp = (np.arange(self.block, dtype=np.float32) + 1.0) / self.block
        self._fade_up, self._fade_down = ramp[:, None].copy(), (1.0 - ramp)[:, None].copy()
        self._declick = 0  # 1: the next block fades in; -1: the next block fades out, then silence
        self._after_fade: int | None = None  # where a stop seeks once its fade-out block is out
        self._declick_len = max(1, int(round(DECLICK_S * self.sample_rate)))
        self.publish_status = publish_status  # off for offline renders: nobody polls them
        self.schedule: Schedule
        self._control: _Control | None = None
        self._k = 0  # next live control tick
        self._plan_for: tuple | None = None  # (clock, profile) the planned schedule was made for
        self._begin()
        self.status = self._snapshot()

    # ---- control side ------------------------------------------------------------------------
    def command_queue(self, capacity: int = 256) -> CommandQueue:
        """A queue for one control thread (create them before playback starts)."""
        q = CommandQueue(capacity)
        self._queues = [*self._queues, q]  # swapped whole: the producer iterates a stable list
        return q

    def report_output(self, stats: Any) -> None:
        """The audio output's figures (underruns, latency, callback times), shown in the status."""
        self._output = stats

    def bar_jump(self, delta: int) -> tuple:
        """A ``SEEK`` command ``delta`` bars along the timeline from the bar playing, to its beat 1
        (through the loop's repeats: in any pass, one bar forward is the next bar heard)."""
        sample = self.status.sample
        starts = self.stems.clock.bar_starts(sample + (abs(delta) + 2) * 60 * self.sample_rate)
        here = bisect.bisect_right(starts, sample) - 1
        return C.seek(starts[min(max(0, here + delta), len(starts) - 1)])

    def profile_command(self, index: int | None) -> tuple:
        """A ``PROFILE`` command; in a planned run with the plan for that profile made here, off
        the audio thread (for a 150 s trace it takes longer than a block)."""
        if self._control is not None or self.mode != "planned":
            return C.profile(index)
        profile = None if index is None else self.profiles[index]
        clock = self.stems.clock
        return (*C.profile(index), (clock, profile, self._make_plan(clock, profile)))

    def loop_region(self, start_beat: float | None, end_beat: float | None) -> tuple:
        """A ``LOOP`` command with its clock and seams built here, off the audio thread."""
        loop = None if start_beat is None else (float(start_beat), float(end_beat))
        cue = replace(self.cue, loop=loop if loop is not None else self.cue.loop)
        clock = CueClock(cue, self.sample_rate, self.stems.length)
        # a planned run's new plan is made here too, not on the audio thread (one per profile)
        plan = (self.profile, self._make_plan(clock, self.profile)) if self._control is None else None
        return (C.LOOP, clock, self.stems.loop_seams(clock), plan)

    def prepare(self, command: tuple) -> None:
        """Apply ``command`` now, before playback starts (a start position, a profile); once a
        producer thread runs, commands go through a ``command_queue``."""
        self._apply(command)
        self.status = self._snapshot()

    # ---- producer side -----------------------------------------------------------------------
    def render_block(self, out: np.ndarray) -> None:
        """Fill ``out`` ((frames <= block, 2) float32) with the next frames of the cue."""
        for q in self._queues:
            q.drain(self._apply_or_reject)
        if self.state == "playing":
            self._mix(out)
            if self._declick > 0:
                out *= self._fade_up[:out.shape[0]]
                self._declick = 0
        elif self._declick < 0:  # paused or stopped while playing: this block fades out
            self._mix(out)
            out *= self._fade_down[:out.shape[0]]
            self._declick = 0
            if self._after_fade is not None:
                self._seek(self._after_fade)
                self._after_fade = None
        else:
            out.fill(0.0)
        if self.publish_status:
            self.status = self._snapshot(out.shape[0])

    def _mix(self, out: np.ndarray) -> None:
        if self._control is not None:
            end = self.mixer.t + out.shape[0]
            while self._tick_sample(self._k) < end:
                self._step(self._k)
                self._k += 1
        self.mixer.metering = self.publish_status and self._blocks % self._meter_every == 0
        self.mixer.process(out)
        self._blocks += 1

    def _tick_sample(self, k: int) -> int:
        return int(round(k / self.rate * self.sample_rate))

    def _begin(self, at: int = 0) -> None:
        """Set up the run from timeline sample ``at`` (0: the start)."""
        if self.mode == "planned":
            self._plan()
            self._control = None
            variant, pos, passes = self.schedule.playhead_at(self.stems.clock, at)
            self.mixer.reset(at, variant, self.schedule.intensity_at(at), pos, passes, self._seek_declick())
            self.mixer.load_events(self.schedule.events(self.stems, after=at - 1 if at else -1))
            return
        policy = LivePolicy(self.cue, self.profile, self.config, viewing_of(self.trace))
        feed = TraceFeed(self.trace) if self.trace is not None else None
        ctl = _Control(policy, None, feed)  # type: ignore[arg-type]
        self._control = ctl
        first = self._emotion(0.0)
        ctl.scheduler = LiveScheduler(self.cue, self.stems.clock, first)
        self.schedule = ctl.scheduler.schedule
        self.mixer.reset(0, self.schedule.start_variant, first.intensity, 0, 0)
        self._k = 1
        if at:
            self._seek(at)

    def _emotion(self, t: float) -> PolicyTick:
        """Step the live policy at audio time ``t`` with the emotion of that moment: a manual
        override, else live readings, else the trace (else neutral)."""
        ctl = self._control
        src = ctl.override if ctl.override is not None else (ctl.live if ctl.live_active else None)
        over: dict[str, Any] = {}
        if src is not None:
            over = {"valence": src[0], "arousal": src[1], "intensity": src[2]}
        if ctl.live[3] is not None:
            over["heart_rate"] = ctl.live[3]
        viewer = ctl.override is None  # a manual override is not calibrated (nor counted in it)
        if ctl.feed is not None:
            tick = ctl.feed.tick(ctl.policy, t, viewer, **over)
        else:
            tick = ctl.policy.step(t, over.get("valence", 0.0), over.get("arousal", 0.0), over.get("heart_rate"),
                                   over.get("intensity"), viewer)
        ctl.last = tick
        return tick

    def _step(self, k: int) -> None:
        tick = self._emotion(k / self.rate)
        d = self._control.scheduler.step(tick)
        if d.cancel is not None:
            self.mixer.unschedule(switch_event(d.cancel, self.stems))
        if d.switch is not None:
            self.mixer.schedule(switch_event(d.switch, self.stems))
        if d.intensity is not None:
            self.mixer.schedule(Mixer.intensity_event(self._tick_sample(k), d.intensity))

    # ---- commands ----------------------------------------------------------------------------
    def _apply_or_reject(self, cmd: tuple) -> None:
        """A malformed command (a layer that does not exist, a wrong argument) is counted in the
        status and dropped: it must never stop the music."""
        try:
            self._apply(cmd)
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            self.rejected += 1
            self.last_rejected = f"{cmd[0] if cmd else '(empty command)'}: {exc}"

    def _apply(self, cmd: tuple) -> None:
        name = cmd[0]
        self.command_log.append((self.mixer.t, name))
        if name == C.PLAY:
            if self.state != "playing":
                self._declick = 1
            self.state = "playing"
        elif name == C.PAUSE:
            if self.state == "playing":
                self._declick = -1
            self.state = "paused"
        elif name == C.STOP:
            if self.state == "playing":
                self._declick, self._after_fade = -1, 0
            else:
                self._seek(0)
            self.state = "stopped"
        elif name in (C.SEEK, C.SEEK_BEAT):
            self._after_fade = None  # a stop's return to the start gives way to the place asked for
            self._seek(max(0, cmd[1]) if name == C.SEEK else self._sample_of_bar_beat(cmd[1], cmd[2]))
        elif name in (C.EMOTION, C.LIVE, C.RELEASE, C.HEART_RATE):
            self._emotion_command(cmd)
        elif name == C.PROFILE:
            self.profile = None if cmd[1] is None else self.profiles[cmd[1]]
            if self._control is not None:
                self._control.policy.profile = self.profile
            else:
                plan = cmd[2] if len(cmd) > 2 else None  # (clock, profile, schedule), see profile_command
                if plan is not None and plan[0] is self.stems.clock and plan[1] is self.profile:
                    self.schedule, self._plan_for = plan[2], (plan[0], plan[1])
                self._replan()
        elif name == C.MUTE:
            self._mask[cmd[1]][cmd[2]] = 0.0 if cmd[3] else 1.0
            self._apply_gains()
        elif name == C.SOLO:
            self._solo[cmd[1]][cmd[2]] = cmd[3]
            self._apply_gains()
        elif name == C.SWAP:
            self.mixer.swap_layer(cmd[1], cmd[2], cmd[3], cmd[4], cmd[5] if len(cmd) > 5 else None)
        elif name == C.LOOP:
            self._set_clock(cmd[1], cmd[2], cmd[3] if len(cmd) > 3 else None)
        else:
            raise ValueError(f"unknown command (commands: {', '.join(C.NAMES)})")

    def _emotion_command(self, cmd: tuple) -> None:
        if self._control is None:
            self._take_live_control()
        ctl = self._control
        if cmd[0] == C.EMOTION:
            ctl.override = (cmd[1], cmd[2], cmd[3])
            ctl.policy.override(cmd[1], cmd[2])
        elif cmd[0] == C.LIVE:
            ctl.live[:3] = cmd[1:4]
            ctl.live_active = True
        elif cmd[0] == C.RELEASE:
            ctl.override, ctl.live_active = None, False
        else:
            ctl.live[3] = cmd[1]
            ctl.policy.heart_rate_sample(self.mixer.t / self.sample_rate, cmd[1])

    def _take_live_control(self) -> None:
        """A planned run hands over to live control from now (an override or live input arrived)."""
        t = self.mixer.t
        self.mixer.events = self.mixer.events[:self.mixer._ev_i]
        self.mixer.load_events([])
        policy = LivePolicy(self.cue, self.profile, self.config, viewing_of(self.trace))
        self._control = _Control(policy, None, TraceFeed(self.trace) if self.trace is not None else None)  # type: ignore[arg-type]
        if self._control.feed is not None:
            self._control.feed.seek(t / self.sample_rate)
        self._k = math.ceil(t * self.rate / self.sample_rate)
        first = self._emotion(self._k / self.rate)
        sched = LiveScheduler(self.cue, self.stems.clock, first)
        pos, passes = self.mixer.position()
        sched.resume(t, self.mixer.playing, pos, passes)
        self._control.scheduler = sched
        self.schedule = sched.schedule

    def _plan(self) -> None:
        """The planned run's schedule for the current clock and profile: made once for them (a seek
        plays the same plan from elsewhere; making it is ~20 ms for a 150 s trace, longer than a block)."""
        made = self._plan_for
        if made is not None and made[0] is self.stems.clock and made[1] is self.profile:
            return
        self.schedule = self._make_plan(self.stems.clock, self.profile)
        self._plan_for = (self.stems.clock, self.profile)

    def _make_plan(self, clock: CueClock, profile: ClusterProfile | None) -> Schedule:
        track = control_track(self.trace, self.cue, "planned", profile, self.config, self.duration)
        return schedule_planned(self.cue, clock, track)

    def _replan(self) -> None:
        """Planned mode with a new listener profile or loop region: the plan is redone and played on
        from where it is now, crossfaded from where the old one was if the plans parted ways."""
        t = self.mixer.t
        self._plan()
        if self.schedule.playhead_at(self.stems.clock, t) != (self.mixer.playing, *self.mixer.position()):
            self._begin(t)
            return
        self.mixer.events = self.mixer.events[:self.mixer._ev_i]  # the same music now: new events only
        self.mixer.load_events(self.schedule.events(self.stems, after=t - 1))

    def _seek(self, sample: int) -> None:
        if self._control is None:
            self._begin(sample)
            return
        clock = self.stems.clock
        pos, passes = clock.advance(0, 0, sample)
        ctl = self._control
        variant = self.mixer.playing if self.mixer.playing >= 0 else self.schedule.start_variant
        intensity = ctl.last.intensity if ctl.last is not None else self.mixer.i_target
        self.mixer.reset(sample, variant, intensity, pos, passes, self._seek_declick())
        if ctl.feed is not None:
            ctl.feed.seek(sample / self.sample_rate)
        ctl.scheduler.resume(sample, variant, pos, passes)
        self._k = math.ceil(sample * self.rate / self.sample_rate)

    def _seek_declick(self) -> int:
        """Samples a seek crossfades over: none before playback or while silent."""
        return self._declick_len if self.state == "playing" and self.mixer.t > 0 else 0

    def _sample_of_bar_beat(self, bar: int, beat: float) -> int:
        m = self.cue.meter
        beats = (bar - 1) * m.beats_per_bar + (beat - 1.0) * 4.0 / m.denominator
        return self.stems.clock.sample_of(beats)

    def _apply_gains(self) -> None:
        for v, lut in enumerate(self.stems.luts):
            gain = self._mask[v] * (self._solo[v] if self._solo[v].any() else 1.0)
            np.multiply(self._base_luts[v], gain, out=lut)
        self.mixer.refresh_gains()

    def _set_clock(self, clock: CueClock, seams: list[np.ndarray], plan: tuple | None = None) -> None:
        st = self.stems
        st.clock, st.seams, st.seam = clock, seams, seams[0].shape[0] // 2
        self.mixer.set_clock(clock)
        if self._control is not None:
            pos, passes = self.mixer.position()
            dropped = self._control.scheduler.set_clock(clock, self.mixer.t, pos, passes)
            if dropped is not None:
                self.mixer.unschedule(switch_event(dropped, self.stems))
        else:
            if plan is not None and plan[0] is self.profile:  # made for this profile off the audio thread
                self.schedule, self._plan_for = plan[1], (clock, self.profile)
            self._replan()

    # ---- status ------------------------------------------------------------------------------
    def _snapshot(self, frames: int = 0) -> PlayerStatus:
        mx, st = self.mixer, self.stems
        fall = METER_FALL_DB_PER_S * frames / self.sample_rate
        self._meter_db -= fall
        if mx.metering:
            peak_db = 20.0 * np.log10(np.maximum(mx.peaks, 1e-6))
            np.maximum(self._meter_db, peak_db, out=self._meter_db)
            mx.peaks[:] = 0.0
        np.maximum(self._meter_db, -120.0, out=self._meter_db)
        v = mx.playing
        pos, _ = mx.position()
        beats = st.clock.beat_of(pos)
        m = self.cue.meter
        bar, in_bar = divmod(beats, m.beats_per_bar)
        pending = self._pending()
        last = self._control.last if self._control is not None else None
        return PlayerStatus(
            state=self.state, sample=mx.t, sample_rate=self.sample_rate, cue_sample=pos, bar=int(bar) + 1,
            beat=in_bar * m.denominator / 4.0 + 1.0,
            variant=st.variant_names[v] if v >= 0 else None,
            target=st.variant_names[pending.target] if pending is not None else None,
            next_switch=pending.sample / self.sample_rate if pending is not None else None,
            intensity=mx.i_cur, valence=last.smooth_valence if last else None,
            arousal=last.smooth_arousal if last else None,
            override=self._control is not None and self._control.override is not None,
            profile=(self.profile.label or self.profile.name) if self.profile is not None else None,
            layer_gains=mx.current_gains(), meters_db=dict(zip(st.variant_names, self._meter_db.tolist())),
            output=self._output, dropped_commands=sum(q.dropped for q in self._queues),
            rejected_commands=self.rejected,
            switches=sum(1 for sw in self.schedule.switches if sw.sample <= mx.t))

    def _pending(self):
        if self._control is not None:
            return self._control.scheduler.pending
        for sw in self.schedule.switches:
            if sw.sample > self.mixer.t:
                return sw
        return None
