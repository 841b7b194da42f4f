"""Live emotion over OSC, sent over loopback by a real client: it moves the music; bad ones are counted."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from composer_assist.adaptive.synthetic import synthetic_cue, synthetic_stems
from composer_assist.core.project import AdaptiveSettings, TransitionRule
from composer_assist.playback.player import Player
from composer_assist.playback.stems import StemSet
from composer_assist.services.osc import OscError, OscInput

SR = 48000


def _player() -> Player:
    cue = synthetic_cue(rule=TransitionRule(leave="beat", fade_beats=0.5), adaptive=AdaptiveSettings(dwell_bars=0))
    return Player(StemSet.from_arrays(cue, SR, synthetic_stems(cue, SR)), mode="live", block=512)


def _run(player: Player, seconds: float) -> None:
    buf = np.empty((512, 2), np.float32)
    for _ in range(int(seconds * SR / 512)):
        player.render_block(buf)


def _wait(osc: OscInput, received: int) -> None:
    deadline = time.monotonic() + 5.0
    while osc.stats.received < received and time.monotonic() < deadline:
        time.sleep(0.01)


def test_osc_messages_move_the_music_and_bad_ones_are_counted():
    player = _player()
    with OscInput(player.command_queue(), 0) as osc:  # port 0: the system picks a free one
        client = SimpleUDPClient("127.0.0.1", osc.port)
        _run(player, 1.0)
        start = player.status.variant
        target = next(v for v in player.cue.variants if v.name != start)
        client.send_message("/emotion", [target.valence, target.arousal])
        client.send_message("/emotion", ["loud", 0.2])  # not numbers
        client.send_message("/emotion", [3.0, 0.0])  # out of range
        client.send_message("/heart_rate", [72.0, 1.0])  # too many values
        client.send_message("/tempo", [120])  # unknown address
        client.send_message("/heart_rate", [95.0])
        _wait(osc, 6)
        _run(player, 4.0)
        assert player.status.variant == target.name
        assert osc.stats.received == 6 and osc.stats.bad == 4
        client.send_message("/release", [])
        _wait(osc, 7)
        _run(player, 0.1)
        assert not player.status.override


def test_a_port_in_use_is_one_clear_error():
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    try:
        with pytest.raises(OscError, match=rf"OSC port {busy.getsockname()[1]} on 127.0.0.1 is in use"):
            OscInput(_player().command_queue(), busy.getsockname()[1])
    finally:
        busy.close()
