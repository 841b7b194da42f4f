"""Playing in the studio: the null output paced in real time, the playhead and the variant lane,
an emotion override by dragging the free marker, a re-rendered layer swapped in while playing."""

from __future__ import annotations

import numpy as np
import pytest

from PyQt6.QtCore import QEvent, QPointF, Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QApplication

from composer_assist.core.trace import Trace
from composer_assist.playback import commands as C
from composer_assist.playback.player import Player

from qt_testkit import drag as _drag, wait_playing

pytestmark = pytest.mark.realtime  # counts underruns / plays in real time (tests/conftest.py)


def _capture(window):
    blocks: list[np.ndarray] = []
    window.transport.sink = lambda frames: blocks.append(np.array(frames, copy=True))
    return blocks


def _player_frames(blocks: list[np.ndarray], want: np.ndarray) -> np.ndarray:
    """The player's frames in what the null output passed on: each block is the stream's next
    frames, except that a block the producer was late for ends in silence (a dropout)."""
    got, pos, dropouts = [], 0, 0
    for b in blocks:
        seg = want[pos:pos + b.shape[0]]
        same = np.all(b[:seg.shape[0]] == seg, axis=1)
        k = seg.shape[0] if same.all() else int(np.argmin(same))
        assert not np.any(b[k:]), f"block at stream frame {pos}: differs from the offline player at frame {pos + k}"
        dropouts += k < b.shape[0]
        got.append(b[:k])
        pos += k
        if pos >= want.shape[0]:
            break
    assert dropouts <= len(blocks) // 10, f"{dropouts} dropouts in {len(blocks)} blocks"
    return np.concatenate(got)


def test_play_moves_the_playhead_and_the_variant_lane(window, small, qtbot):
    assert window.open_project(small)
    # a trace that turns tense after 2 s: the lane shows calm, then tense
    times = np.arange(0.0, 30.0, 0.25)
    window.load_trace_object(Trace(times, np.where(times < 1, 0.5, -0.6), np.where(times < 1, -0.5, 0.7),
                                   name="turn"), "turn")
    window.play_pause()
    wait_playing(qtbot, window)
    qtbot.waitUntil(lambda: window.timeline.history.variant_segments(1).size > 0, timeout=8000)
    qtbot.wait(300)
    st = window.transport.player.status
    assert st.state == "playing" and st.seconds > 2.0
    assert abs(window.timeline.playheads[0].value() - st.seconds) < 0.5
    lanes = {vi: window.timeline.history.variant_segments(vi) for vi in (0, 1)}
    assert lanes[0].size >= 2 and lanes[1].size >= 2, lanes  # calm then tense drawn in the lane
    assert lanes[0][0] < lanes[1][0]
    assert "underruns" in window.output_label.text()
    assert window.decisions.rowCount() >= 2  # the start and the switch to tense
    window.play_pause()  # space: pause
    qtbot.waitUntil(lambda: window.transport.player.status.state == "paused", timeout=2000)
    window.timeline.seek.emit(1.0)  # a click on the timeline
    qtbot.waitUntil(lambda: window.transport.player.status.seconds < 1.5, timeout=2000)


def test_dragging_the_free_marker_overrides_and_switches_at_the_next_boundary(window, small, qtbot):
    assert window.open_project(small)
    blocks = _capture(window)
    window.play_pause()  # no trace: neutral, starts on the nearest variant
    wait_playing(qtbot, window)
    player = window.transport.player
    first = player.status.variant
    other = "tense" if first == "calm" else "calm"
    v = player.cue.variant(other)
    qtbot.wait(600)
    _drag(qtbot, window.plane, window.plane.marker, (v.valence, v.arousal), release=False)
    qtbot.waitUntil(lambda: player.status.variant == other, timeout=5000)
    arrival = player.schedule.switches[0].arrival / player.sample_rate
    qtbot.waitUntil(lambda: player.status.seconds > arrival + 0.2, timeout=5000)  # the crossfade is over
    QApplication.sendEvent(window.plane.viewport(), QMouseEvent(
        QEvent.Type.MouseButtonRelease, QPointF(window.plane.mapFromScene(window.plane.marker.scenePos())),
        QPointF(0, 0), Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    assert window.plane.marker.pos().x() > 1.0  # let go: the marker goes home, the trace leads again
    qtbot.wait(200)
    window.transport.stop()
    names = [name for _s, name in player.command_log]
    assert names[:2] == ["emotion", "release"] or names.count("emotion") >= 1 and "release" in names
    sw = player.schedule.switches[0]
    at = next(s for s, n in player.command_log if n == "emotion")
    assert sw.sample >= at and player.stems.variant_names[sw.target] == other
    # the switch waits for the next bar line (the default rule: leave at the next bar)
    beat = player.stems.clock.beat_of(sw.leave_pos)
    assert abs(beat / 4 - round(beat / 4)) < 1e-6 and sw.sample - at < player.sample_rate * 2
    # What was heard is the offline player given the same override at the same sample (with, on
    # a loaded machine, a late block's missing frames heard as silence).
    release = next(s for s, n in player.command_log if n == "release")
    assert release > sw.arrival + 4800
    offline = Player(player.stems, mode="live", block=512)
    out = np.zeros((512, 2), np.float32)
    want = []
    while offline.mixer.t < release:
        if offline.mixer.t == at:
            offline.prepare(C.emotion(v.valence, v.arousal))
        offline.render_block(out)
        want.append(out.copy())
    want = np.concatenate(want)[:release]
    heard = _player_frames(blocks, want)
    np.testing.assert_array_equal(heard, want)
    before = heard[sw.sample - 4800:sw.sample]
    after = heard[sw.arrival:sw.arrival + 4800]
    assert not np.allclose(before, 0) and not np.allclose(after, 0)


def test_a_layer_edit_while_playing_is_rerendered_and_swapped_in(window, small, qtbot):
    from composer_assist.core.edit import Loc, set_field

    assert window.open_project(small)
    window.play_pause()
    wait_playing(qtbot, window)
    player = window.transport.player
    playing = player.status.variant
    vi = player.stems.variant_index(playing)
    before = float(np.abs(player.stems.stacks[vi][:, 0]).max())
    gain = window.session.project.cue("cue").variant(playing).layer("lead").gain_db
    window.edit(lambda p: set_field(p, Loc("cue", playing, "lead"), "gain_db", gain - 20.0))
    qtbot.waitUntil(lambda: window.transport.swaps == 1 or bool(window.errors), timeout=30000)
    assert not window.errors
    qtbot.wait(100)  # the swap lands at the start of the next block
    assert player.status.state == "playing" and window.transport.player is player  # never stopped
    assert player.rejected == 0 and [n for _s, n in player.command_log].count("swap") == 1
    after = float(np.abs(player.stems.stacks[vi][:, 0]).max())
    assert after == pytest.approx(before * 10 ** (-20 / 20), rel=1e-3)


def test_a_swap_refused_because_the_loop_region_changed_is_laid_out_again(window, small, qtbot):
    """The re-render finished just as the loop region was dragged: the player refuses a swap laid
    out for the old region, whole, and the transport lays it out again for the new one."""
    from composer_assist.services.play import LayerSwap

    assert window.open_project(small)
    window.play_pause()
    wait_playing(qtbot, window)
    transport, player = window.transport, window.transport.player
    vi = player.stems.variant_index(player.status.variant)
    quiet = np.asarray(player.stems.stacks[vi][:, 0]).reshape(-1, 2).T * 0.1  # the take, 20 dB down
    swap = LayerSwap(vi, 0, quiet, None, None)
    stale = swap.command(player)
    transport.set_loop(4.0, 8.0)
    qtbot.waitUntil(lambda: player.stems.clock.loop_end == player.stems.clock.sample_of(8.0), timeout=3000)
    transport._swap(player, (swap, stale))  # what the re-render job hands over
    qtbot.waitUntil(lambda: [n for _s, n in player.command_log].count("swap") == 2, timeout=5000)
    assert player.rejected == 1 and player.last_rejected.startswith("swap: the loop region changed")
    fresh = swap.command(player)
    assert np.array_equal(player.stems.stacks[vi][:, 0], fresh[3])
    assert np.array_equal(player.stems.seams[vi][:, 0], fresh[4])


def test_choosing_a_listener_cluster_switches_the_playing_profile(window, small, tmp_path, qtbot):
    import json

    from composer_assist.core.profile import ClusterProfile, ContextPreference, profiles_to_json

    likes_dark = ClusterProfile(0, "likes it dark", contexts={f"{a}_{v}": ContextPreference(-0.8, 0.8)
                                                               for a in ("high_arousal", "low_arousal")
                                                               for v in ("positive", "negative")})
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(profiles_to_json([likes_dark])))
    assert window.open_project(small)
    assert window.load_profiles(path)
    window.play_pause()
    wait_playing(qtbot, window)
    player = window.transport.player
    assert player.status.profile is None
    window.listeners.choose(0)
    loaded = window.profiles[0]
    qtbot.waitUntil(lambda: player.status.profile is not None, timeout=3000)
    # in words, as the listeners panel names it (it said the command-line id "likes-it-dark")
    assert player.status.profile == loaded.label == "likes it dark"
    qtbot.waitUntil(lambda: "listener: likes it dark" in window.bar.position.text(), timeout=3000)
    window.listeners.choose(None)
    qtbot.waitUntil(lambda: player.status.profile is None, timeout=3000)
    assert [n for _s, n in player.command_log].count("profile") == 2


def test_loop_region_and_bar_jumps(window, small, qtbot):
    assert window.open_project(small)
    window.timeline.loop.setRegion((0.0, 4.0))  # bars 1-2 of a 4-bar cue at 2 s a bar (kept by play)
    window.bar.loop.setChecked(True)
    window.play_pause()
    wait_playing(qtbot, window)
    player = window.transport.player
    bars = set()
    qtbot.waitUntil(lambda: bars.add(player.status.bar) or player.status.seconds > 5.0, timeout=10000)
    assert bars <= {1, 2} and any(n == "loop" for _s, n in player.command_log)
    window.bar.loop.setChecked(False)  # the cue's own loop again
    # Bar jumps step through the timeline, loop repeats included: from 9 s (bar 1 of the cue's
    # second pass, at 2 s a bar) one bar forward is 10 s, not bar 2 of the first pass (2 s).
    window.timeline.seek.emit(9.0)
    qtbot.waitUntil(lambda: 9.0 <= player.status.seconds < 9.5, timeout=3000)
    window.actions_by_name["forward"].trigger()
    qtbot.waitUntil(lambda: 10.0 <= player.status.seconds < 10.5 and player.status.bar == 2, timeout=3000)
    window.actions_by_name["back"].trigger()
    qtbot.waitUntil(lambda: 8.0 <= player.status.seconds < 8.5 and player.status.bar == 1, timeout=3000)
    window.actions_by_name["back"].trigger()  # over the wrap: the first pass's last bar
    qtbot.waitUntil(lambda: 6.0 <= player.status.seconds < 6.5 and player.status.bar == 4, timeout=3000)
    assert [n for _s, n in player.command_log].count("seek") == 4


def test_stop_while_starting_leaves_nothing_playing(window, small, qtbot):
    """Stop pressed once the stems are rendered but before the output has started: the job still
    finished and started the output, which then played on with no way to stop it."""
    import threading
    import time

    def outputs() -> set:
        return {t for t in threading.enumerate() if t.name.startswith("composer-assist-output")}

    before = outputs()
    assert window.open_project(small)
    window.play_pause()
    job = window.transport.starting
    qtbot.waitUntil(lambda: job.work.progress[1] > 0 and job.work.progress[0] == job.work.progress[1], timeout=60000)
    window.transport.stop()  # the player and the output are still being made
    qtbot.waitUntil(lambda: job.work.state in ("done", "cancelled"), timeout=30000)
    deadline = time.monotonic() + 5.0
    while outputs() - before and time.monotonic() < deadline:
        qtbot.wait(50)
    assert not outputs() - before, f"still playing after Stop: {outputs() - before}"
    assert window.transport.player is None
