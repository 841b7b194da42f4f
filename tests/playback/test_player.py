"""The player: the same samples offline and block by block, commands at sample-exact boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.errors import TraceError
from composer_assist.core.project import AdaptiveSettings, Project, TransitionRule
from composer_assist.core.trace import Trace, generate_trace
from composer_assist.playback import commands as C
from composer_assist.playback.mixer import Mixer
from composer_assist.playback.player import Player
from composer_assist.playback.stems import StemSet

SR = 48000


def _setup(rule: TransitionRule | None = None, loop=None, dwell: float = 1.0):
    cue = synthetic_cue(rule=rule or TransitionRule(leave="bar", fade_beats=1.0), loop=loop,
                        adaptive=AdaptiveSettings(dwell_bars=dwell))
    stems = StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR))
    return Project(name="p", sample_rate=SR, cues=[cue]), cue, stems


def _play(player: Player, frames: int, block: int) -> np.ndarray:
    out = np.empty((frames, 2), np.float32)
    for i in range(0, frames, block):
        player.render_block(out[i:i + block])
    return out


@pytest.mark.parametrize("mode", ["live", "planned"])
def test_player_block_by_block_equals_the_offline_render_bit_for_bit(mode):
    project, cue, stems = _setup()
    trace = generate_trace("thriller_buildup", duration=40.0, seed=3)
    offline = run_adaptive(project, cue.name, trace, mode=mode, render=stems)
    assert len(offline.schedule.switches) >= 1
    frames = offline.audio.shape[0]
    player = Player(stems, mode=mode, trace=trace, block=512)
    assert np.array_equal(_play(player, frames, 512), offline.audio)
    for block in (128, 333):
        # Decisions and boundaries do not depend on the block size; gain ramps are linear per
        # block, so the samples differ by a hair while an intensity moves.
        player = Player(stems, mode=mode, trace=trace, block=block)
        out = _play(player, frames, block)
        assert [(s.sample, s.target) for s in player.schedule.switches] == \
            [(s.sample, s.target) for s in offline.schedule.switches]
        assert np.max(np.abs(out - offline.audio)) < 5e-3


def test_live_mode_never_reads_the_future():
    """Changing the trace after time T changes nothing the live player played before T."""
    project, cue, stems = _setup()
    a = generate_trace("thriller_buildup", duration=40.0, seed=3)
    b = Trace(a.times.copy(), a.valence.copy(), a.arousal.copy(), {k: v.copy() for k, v in a.channels.items()},
              name="b")
    cut = int(np.searchsorted(a.times, 20.0))
    b.valence[cut:] = -b.valence[cut:]
    b.arousal[cut:] = -b.arousal[cut:]
    frames = int(40.0 * SR)
    pa = _play(Player(stems, mode="live", trace=a), frames, 512)
    pb = _play(Player(stems, mode="live", trace=b), frames, 512)
    t_cut = int(round(a.times[cut] * SR))
    assert np.array_equal(pa[:t_cut], pb[:t_cut])
    assert not np.array_equal(pa[t_cut:], pb[t_cut:])


def test_override_starts_its_transition_at_the_next_legal_boundary():
    project, cue, stems = _setup(rule=TransitionRule(leave="bar", fade_beats=1.0), dwell=0.0)
    player = Player(stems, mode="live", block=512)  # no trace: neutral emotion, live input
    q = player.command_queue()
    _play(player, SR, 512)  # one second of whatever is nearest to neutral
    start = player.status.variant
    target = next(v for v in cue.variants if v.name != start)
    posted_at = player.mixer.t
    q.post(C.emotion(target.valence, target.arousal))
    _play(player, 6 * SR, 512)
    sw = player.schedule.switches[-1]
    assert cue.variants[sw.target].name == target.name
    # The tick that saw the override is the first at or after the block where it was drained;
    # the switch leaves on the first bar line at or after that tick (2 s bars at 120 BPM in 4/4).
    tick = int(np.ceil(posted_at * cue.adaptive.control_rate / SR))
    tick_sample = int(round(tick / cue.adaptive.control_rate * SR))
    bar = 2 * SR
    assert sw.sample == -(-tick_sample // bar) * bar
    assert player.status.variant == target.name and player.status.override
    # the log says why: the override (before: "quantisation_wait", as if the emotion had moved)
    why = [e for e in player.schedule.log if e["kind"] in ("switch", "retarget") and e["to"] == target.name][-1]
    assert why["reason"] == "override" and "the emotion override asked for" in why["detail"], why


def test_seek_pause_and_bar_beat_follow_the_tempo_map():
    project, cue, stems = _setup()
    trace = generate_trace("calm_to_sad", duration=30.0, seed=1)
    player = Player(stems, mode="live", trace=trace)
    q = player.command_queue()
    _play(player, SR // 2, 512)
    q.post(C.seek_beat(3, 2.0))  # bar 3, beat 2 of 4/4 at 120 BPM = beat 9 = 4.5 s
    _play(player, 512, 512)
    st = player.status
    assert st.cue_sample == 512 + int(4.5 * SR) and st.bar == 3
    assert st.beat == pytest.approx(2.0 + 512 / SR * 2.0)
    q.post(C.pause())
    before = player.status.sample
    out = _play(player, 4096, 512)
    # one block ramps the music out (a cut to silence was a click), then silence
    fade, silent = out[:512], out[512:]
    assert not silent.any() and player.status.sample == before + 512 and player.status.state == "paused"
    assert np.abs(fade[:128]).max() > 0.01 and np.abs(fade[-16:]).max() < 0.05 * np.abs(fade[:128]).max()
    q.post(C.play())
    out = _play(player, 4096, 512)
    assert np.abs(out).max() > 0.01 and player.status.sample == before + 512 + 4096
    assert np.abs(out[:16]).max() < 0.05 * np.abs(out[384:512]).max()  # and ramps it in again


def test_bar_starts_run_through_the_loop_repeats():
    from composer_assist.playback.clock import CueClock

    # 8 bars of 4/4 at 120 BPM (2 s a bar) looping bars 3-4: bar lines every 2 s through the
    # first pass to the loop's end (8 s), then the loop's bars again and again.
    cue = synthetic_cue(loop=(8.0, 16.0))
    assert CueClock(cue, 1000).bar_starts(16000) == [0, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000]
    # A loop that starts mid-bar (beat 10, bar 3 beat 3): the wrap is no bar line, the next is.
    cue = synthetic_cue(loop=(10.0, 16.0))
    assert CueClock(cue, 1000).bar_starts(15000) == [0, 2000, 4000, 6000, 9000, 12000, 15000]


def test_mute_and_solo_take_layers_out_without_a_click():
    project, cue, stems = _setup()
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    _play(player, SR, 512)
    v = cue.variants.index(cue.variant(player.status.variant))
    q.post(C.solo(v, 0, True))
    out = _play(player, SR, 512)
    gains = player.status.layer_gains
    assert gains["layer0"] > 0 and all(g == 0 for name, g in gains.items() if name != "layer0")
    assert np.max(np.abs(np.diff(out[:, 0]))) < 0.05  # ramps over a block, no step
    q.post(C.solo(v, 0, False))
    q.post(C.mute(v, 0, True))
    _play(player, SR, 512)
    assert player.status.layer_gains["layer0"] == 0


def test_swapped_layer_audio_is_heard_from_the_next_block():
    project, cue, stems = _setup()
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    _play(player, SR, 512)
    v = cue.variants.index(cue.variant(player.status.variant))
    silence = np.zeros((2, stems.length), np.float32)
    for layer in range(len(stems.layer_names[v])):
        col, seam = stems.layer_rows(v, layer, silence)
        q.post(C.swap(v, layer, col, seam))
    out = _play(player, 2048, 512)
    assert not out.any()


def test_status_reports_meters_and_the_pending_switch():
    project, cue, stems = _setup(dwell=0.0)
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    _play(player, SR, 512)
    playing = player.status.variant
    assert player.status.meters_db[playing] > -40
    target = next(v for v in cue.variants if v.name != playing)
    q.post(C.emotion(target.valence, target.arousal))
    _play(player, 1024, 512)
    assert player.status.target == target.name and player.status.next_switch is not None


def test_mixer_refuses_a_block_longer_than_its_size():
    _, _, stems = _setup()
    mixer = Mixer(stems, block=256)
    mixer.start(0, 0.5)
    with pytest.raises(ValueError, match="more than the mixer's block of 256"):
        mixer.process(np.zeros((512, 2), np.float32))


def test_an_infinite_or_absurd_duration_is_refused_before_any_work():
    project, cue, stems = _setup()
    trace = generate_trace("calm_to_sad", duration=10.0)
    for duration in (float("inf"), 1e9):
        with pytest.raises(TraceError, match="is not one to render"):
            run_adaptive(project, cue.name, trace, render=stems, duration=duration)


def test_switches_due_after_the_end_are_not_counted():
    project, cue, stems = _setup(dwell=0.0)
    # Tense from 1 s before the end: the answering switch lands on the bar line at the very end.
    t = np.arange(0, 10.01, 0.1)
    flip = t >= 9.0
    trace = Trace(t, np.where(flip, -0.7, 0.6), np.where(flip, 0.7, -0.6), name="late")
    result = run_adaptive(project, cue.name, trace, mode="live", render=stems)
    assert any(sw.sample >= result.audio.shape[0] for sw in result.schedule.switches)
    assert result.quality.switches == 0


def test_live_lag_pairs_each_change_with_the_switch_that_answers_it():
    from composer_assist.adaptive.quality import compute_quality
    from composer_assist.playback.schedule import Schedule, Switch

    _, cue, _ = _setup()
    rule = TransitionRule()

    def sw(decided: float, at: float, target: int) -> Switch:
        return Switch(int(at * SR), SR // 2, 0, target, rule, 0, 0, 0, decided)

    # A switch to variant 1 decided at 2 s answers nothing of the scene's turn to 1 at 10 s; the
    # one decided at 10.5 s does.
    sched = Schedule("live", SR, 0, 0.5, switches=[sw(2.0, 3.0, 1), sw(6.0, 7.0, 0), sw(10.5, 11.0, 1)])
    track = type("T", (), {"times": np.zeros(0), "valence": np.zeros(0), "arousal": np.zeros(0)})()
    q = compute_quality(cue, sched, [(10.0, 1)], track, np.zeros((20 * SR, 2), np.float32), SR)
    assert q.lags == [pytest.approx(11.5 - 10.0)]


@pytest.mark.parametrize("mode", ["live", "planned"])
def test_offline_adapt_and_the_null_output_player_are_bit_identical(mode):
    """The same path a device takes (producer thread, ring buffer, consumer), with no device."""
    from composer_assist.audio.output import NullOutput

    project, cue, stems = _setup()
    # seed 3: planned mode's optimal choice switches here too (on seed 2 staying put is as congruent)
    trace = generate_trace("action_chase", duration=30.0, seed=3)
    offline = run_adaptive(project, cue.name, trace, mode=mode, render=stems)
    frames = offline.audio.shape[0]
    got = []
    player = Player(stems, mode=mode, trace=trace, block=512)
    NullOutput(player, block=512, sink=lambda b: got.append(b.copy())).run(frames, timeout=60)
    played = np.concatenate(got)
    assert played.shape == offline.audio.shape and np.array_equal(played, offline.audio)
    assert offline.schedule.switches  # a transition inside, not just one variant


def test_a_loop_region_keeps_the_music_inside_it_and_bar_beat_right():
    project, cue, stems = _setup()  # 8 bars of 4/4 at 120 BPM: 2 s a bar
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    q.post(player.loop_region(8.0, 16.0))  # bars 3 and 4
    q.post(C.seek_beat(3, 1.0))
    positions = []
    buf = np.empty((512, 2), np.float32)
    for _ in range(int(10 * SR / 512)):
        player.render_block(buf)
        positions.append((player.status.cue_sample, player.status.bar))
    assert all(4 * SR <= pos < 8 * SR for pos, _ in positions[1:])
    assert {bar for _, bar in positions[1:]} == {3, 4}
    assert np.abs(buf).max() > 0.01
    # Back to the cue's own loop (the whole cue): the music goes on past bar 4.
    q.post(player.loop_region(None, None))
    bars = set()
    for _ in range(int(16 * SR / 512)):
        player.render_block(buf)
        bars.add(player.status.bar)
    assert bars >= {5, 6, 7, 8}


def test_switching_the_listener_profile_changes_what_plays():
    from composer_assist.core.profile import ClusterProfile, ContextPreference, CONTEXTS

    project, cue, stems = _setup(dwell=0.0)
    trace = Trace(np.arange(0, 20.01, 0.1), np.full(201, 0.5), np.full(201, -0.45), name="calm scene")
    darker = ClusterProfile(cluster=1, name="darker", label="darker", size=10, share=0.5,
                            contexts={c: ContextPreference(valence_shift=-1.2, arousal_shift=0.0) for c in CONTEXTS})
    player = Player(stems, mode="live", trace=trace, profiles=[darker])
    q = player.command_queue()
    _play(player, 4 * SR, 512)
    assert player.status.variant == "calm" and player.status.profile is None
    q.post(C.profile(0))
    _play(player, 8 * SR, 512)
    assert player.status.variant == "sad" and player.status.profile == "darker"
    # planned: the plan for the profile is made where the command is, and played from now
    player = Player(stems, mode="planned", trace=trace, profiles=[darker])
    q = player.command_queue()
    _play(player, 4 * SR, 512)
    assert player.status.variant == "calm"
    cmd = player.profile_command(0)
    q.post(cmd)
    _play(player, 8 * SR, 512)
    assert player.schedule is cmd[2][2] and player.status.variant == "sad" and player.status.profile == "darker"
    assert (player.mixer.playing, *player.mixer.position()) == player.schedule.playhead_at(player.stems.clock,
                                                                                           player.mixer.t)


def test_a_malformed_command_is_counted_and_the_music_goes_on():
    _, cue, stems = _setup()
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    q.post(C.mute(0, 99, True))  # no such layer
    q.post(("profile", 5))  # no such profile
    q.post(("no such command",))
    out = _play(player, SR, 512)
    assert player.status.rejected_commands == 3 and np.abs(out).max() > 0.01


def test_the_play_commands_arrow_keys_step_a_bar_along_the_timeline_in_a_later_loop_pass():
    """At 100 s (the cue's loop on its fourth pass) the right arrow went to bar 2 of the *cue*
    from the start of the timeline: 2 s, the trace restarted and --duration pushed back."""
    from types import SimpleNamespace

    from composer_assist.cli.terminal import Screen

    project, cue, stems = _setup()
    player = Player(stems, mode="live", trace=generate_trace("thriller_buildup", duration=200.0, seed=3), block=512)
    queue = player.command_queue()
    _play(player, 100 * SR, 512)
    screen = Screen(player, queue, None, SimpleNamespace(), None)
    bar_s = cue.tempo.seconds_at(cue.meter.beats_per_bar)  # no tempo changes: bars evenly spaced
    for key, step in (("\x1b[C", 1), ("\x1b[D", -1)):
        before = player.status.seconds
        screen._key(key)
        player.render_block(np.empty((512, 2), np.float32))
        after = player.status.seconds
        want = (np.floor(before / bar_s + 1e-9) + step) * bar_s  # the next / previous bar line heard
        assert abs(after - want) < 0.02, (key, before, after, want)


def test_a_swap_laid_out_before_the_loop_region_changed_is_refused_whole_and_laid_out_again():
    """The loop region changed while a layer re-rendered: the stem column was written, then the
    seam's failed, so every wrap played the old take while the studio said "swapped in"."""
    from composer_assist.services.play import LayerSwap

    project, cue, stems = _setup()
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    _play(player, SR, 512)
    v = cue.variants.index(cue.variant(player.status.variant))
    noise = np.random.default_rng(1).uniform(-0.1, 0.1, (2, stems.length)).astype(np.float32)
    swap = LayerSwap(v, 0, noise, None, None)
    stale = swap.command(player)  # laid out for the cue's own loop
    q.post(player.loop_region(4.0, 12.0))
    _play(player, 512, 512)  # the new region is in
    before = (stems.stacks[v][:, 0].copy(), stems.seams[v][:, 0].copy())
    q.post(stale)
    _play(player, 512, 512)
    assert player.rejected == 1 and player.last_rejected.startswith("swap: the loop region changed")
    assert np.array_equal(stems.stacks[v][:, 0], before[0]) and np.array_equal(stems.seams[v][:, 0], before[1])
    q.post(swap.command(player))  # what the studio does on seeing the refusal
    _play(player, 512, 512)
    assert player.rejected == 1
    assert np.array_equal(stems.stacks[v][:, 0], swap.command(player)[3])
    assert not np.array_equal(stems.seams[v][:, 0], before[1])


def test_pause_resume_stop_and_seek_while_playing_do_not_click():
    """Each cut the music dead, or jumped it, between two samples: steps of ~0.05 where the music's
    own steps stay under 0.03.  Pause and stop ramp it out over a block, play ramps it in, a seek
    crossfades the two places over 5 ms."""
    project, cue, stems = _setup()
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    blocks, marks = [], {}

    def run(n: int) -> None:
        for _ in range(n):
            b = np.empty((512, 2), np.float32)
            player.render_block(b)
            blocks.append(b)

    run(200)
    for name, cmd, after in (("pause", C.pause(), 5), ("play", C.play(), 100), ("seek", C.seek(13 * SR + 1234), 100),
                             ("stop", C.stop(), 5)):
        marks[name] = len(blocks) * 512
        q.post(cmd)
        run(after)
    x = np.concatenate(blocks)
    steps = np.abs(np.diff(x, axis=0)).max(axis=1)
    music = np.percentile(steps[:marks["pause"] - 512], 99.9)
    assert music > 1e-3  # the music is there to step
    for name, at in marks.items():
        assert steps[at - 2:at + 512].max() < 1.5 * music, (name, steps[at - 2:at + 512].max(), music)
    assert not x[marks["stop"] + 512:].any()  # and then silence


def test_a_loop_region_set_while_playing_keeps_the_switches_on_the_music_heard():
    """Set mid-play, the new region was applied to the scheduler's playhead as if it had always
    been there (2 beats off the music heard), and the mixer jumped a deck past its end into it
    with no fade: a switch then left mid-bar and entered two beats on."""
    project, cue, stems = _setup(dwell=0.0)
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    _play(player, 24 * SR + 4321, 512)  # 2 s a bar: bar 5, second pass
    before = player.mixer.position()
    q.post(player.loop_region(2.0, 6.0))  # a region that ends before the music playing now
    _play(player, 512, 512)
    clock, sched = player.stems.clock, player._control.scheduler
    assert player.mixer.position()[0] == before[0] + 512  # played on: no jump
    assert sched.bld.head.at(player.mixer.t) == player.mixer.position()
    playing = player.status.variant
    target = next(v for v in cue.variants if v.name != playing)
    q.post(C.emotion(target.valence, target.arousal))
    for _ in range(400):
        _play(player, 512, 512)
        if player.status.switches:
            break
    sw = player.schedule.switches[-1]
    assert clock.beat_of(sw.leave_pos) % cue.meter.beats_per_bar == pytest.approx(0.0, abs=1e-6)  # a bar line
    assert player.mixer.position() == clock.advance(sw.enter_pos, sw.enter_passes, player.mixer.t - sw.sample)


def test_planned_mode_plays_its_plan_after_a_loop_change_and_a_seek_keeps_the_plan():
    """A seek redid the whole plan on the audio thread (16-117 ms: underruns), and a new loop region
    left the mixer where the old plan had it while the new plan's switches assumed another place."""
    project, cue, stems = _setup(dwell=0.5)
    trace = generate_trace("thriller_buildup", duration=60.0, seed=3)
    player = Player(stems, mode="planned", trace=trace, block=512)
    q = player.command_queue()
    plan = player.schedule
    _play(player, 10 * SR, 512)
    q.post(C.seek(30 * SR))
    _play(player, 512, 512)
    assert player.schedule is plan  # the same plan, played from elsewhere
    loop = player.loop_region(2.0, 6.0)  # its plan made here, on the control side
    q.post(loop)
    _play(player, 512, 512)
    assert player.schedule is loop[3][1] and player.schedule is not plan
    for _ in range(3):
        _play(player, 3 * SR, 512)
        variant, pos, passes = player.schedule.playhead_at(player.stems.clock, player.mixer.t)
        assert (player.mixer.playing, *player.mixer.position()) == (variant, pos, passes)


def test_a_switch_dropped_by_a_seek_is_not_counted_later():
    project, cue, stems = _setup(dwell=0.0)
    player = Player(stems, mode="live", block=512)
    q = player.command_queue()
    _play(player, 3 * SR, 512)
    target = next(v for v in cue.variants if v.name != player.status.variant)
    q.post(C.emotion(target.valence, target.arousal))
    _play(player, 1024, 512)
    pending = player._control.scheduler.pending
    assert pending is not None and pending.sample > player.mixer.t
    q.post(C.release())
    q.post(C.seek(pending.sample - SR))  # before its boundary, with the music back on the trace
    _play(player, 2 * SR, 512)
    assert pending not in player.schedule.switches and player.status.switches == 0
