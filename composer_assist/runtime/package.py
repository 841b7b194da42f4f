"""A loaded cue package and the player that plays it (see the package docstring).

    pkg = open_package("night_chase.pkg")              # folder or zip, checked as it is read
    player = pkg.player(trace, mode="live", profile=pkg.profile(cluster="suspense-lovers"))
    player.render_block(out)                           # block by block, for a device or a file
    audio = pkg.render(trace)                          # the whole trace, as `adapt` renders it

Without a trace the player follows calls: ``q = player.command_queue(); q.post(commands.live(v, a))``
(the same commands OSC input sends, ``services.osc``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from composer_assist.core.errors import PackageError
from composer_assist.core.profile import ClusterProfile
from composer_assist.core.trace.model import MAX_RENDER_S
from composer_assist.playback.player import Player
from composer_assist.playback.stems import StemSet

from .format import MAX_MANIFEST_BYTES
from .listeners import ListenerTables
from .load import cue_from_manifest, policy_config, stem_set
from .manifest_check import check_manifest
from .scene import emotion_input, read_scene_curve
from .source import PackageSource, load_json

# what reading a manifest the checks let through could still raise: never a traceback, a PackageError
_MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError, ZeroDivisionError,
              RecursionError)


class CuePackage:
    """A package's cue, stems (FLAC, or Opus with ``codec="opus"``), policy settings and listeners."""

    def __init__(self, path: str | os.PathLike, codec: str = "flac") -> None:
        self.source = PackageSource(path)
        self.manifest = m = self.source.manifest
        try:
            check_manifest(m, self.source.fail)
            self.cue = cue_from_manifest(m)
            self.config = policy_config(m)
            self.mode = str(m["adaptive"].get("mode", "planned"))
            self.sample_rate = int(m["sample_rate"])
            self.stems: StemSet = stem_set(m, self.cue, self.source.read_bytes, codec, str(self.source.path))
            people = m.get("listeners")
            self.listeners = None if people is None else self._listeners(people["path"])
            scene = m.get("scene_curve")
            self.scene_curve = None if scene is None else read_scene_curve(
                self.source.read_bytes(scene["path"], MAX_MANIFEST_BYTES), f"{self.source.path}: {scene['path']}")
        except _MALFORMED as exc:
            raise PackageError(f"{self.source.path}: manifest.json: cannot be played ({type(exc).__name__}: "
                               f"{str(exc).splitlines()[0] if str(exc) else 'malformed'})") from None
        finally:
            self.source.close()
        self.codec = codec

    def _listeners(self, rel: str) -> ListenerTables:
        data = self.source.read_bytes(rel, MAX_MANIFEST_BYTES)
        try:
            parsed = load_json(data)  # NaN in a table would pick a cluster at random
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise PackageError(f"{self.source.path}: {rel}: not valid JSON ({exc})") from None
        return ListenerTables(parsed, f"{self.source.path}: {rel}")

    # ---- listeners ---------------------------------------------------------------------------
    def profile(self, cluster: str | int | None = None, events: Iterable[Mapping[str, Any]] | None = None,
                listener: str | None = None) -> ClusterProfile | None:
        """A cluster's profile by number or name, or the cluster of a listener's feedback ``events``."""
        if cluster is None and events is None:
            return None
        if self.listeners is None:
            raise PackageError(f"{self.source.path}: has no listener profiles (export with --profiles)")
        if cluster is not None:
            return self.listeners.profile(cluster)
        return self.listeners.assign(events, listener)[0]

    def follow(self, emotion: str = "sensed", trace: Any = None, mode: str | None = None,
               profile: ClusterProfile | None = None, duration: float | None = None) -> tuple[Any, str | None, Any]:
        """(trace, mode, profile) to play for ``emotion`` ``sensed`` (``trace``), ``scene`` (the
        package's scene curve, planned, with ``profile``) or ``off`` (the default variant)."""
        return emotion_input(emotion, self.cue, trace, self.scene_curve, mode, profile, duration)

    # ---- playing -----------------------------------------------------------------------------
    def player(self, trace: Any = None, mode: str | None = None, profile: ClusterProfile | None = None,
               block: int = 512, duration: float | None = None, history_blocks: int = 0,
               publish_status: bool = True) -> Player:
        """A player of this package (one at a time: players share the stems)."""
        mode = mode or (self.mode if trace is not None else "live")
        return Player(self.stems, mode=mode, trace=trace, profiles=[profile] if profile else None,
                      profile=0 if profile else None, config=self.config_for(trace), block=block, duration=duration,
                      history_blocks=history_blocks, publish_status=publish_status)

    def config_for(self, trace: Any) -> Any:
        """The policy settings for ``trace``: as ``adapt``, a viewer's readings (a trace read from a
        file, or live input) are calibrated when the package says so; a curve made in code is not."""
        if not getattr(self.config, "calibrate", False) or trace is None or getattr(trace, "source", ""):
            return self.config
        return replace(self.config, calibrate=False)

    def frames_for(self, trace: Any, duration: float | None = None) -> int:
        """Samples a render of ``trace`` lasts (as ``adapt``: the trace's span, or ``duration``)."""
        if trace is None and duration is None:
            raise PackageError("without a trace, say how long to play (a duration)")
        total = float(trace.times[-1]) - float(trace.times[0]) if duration is None else float(duration)
        if not 0 < total <= MAX_RENDER_S:
            raise PackageError(f"a duration of {total:g} s is not one to render (at most {MAX_RENDER_S / 3600:g} h)")
        return max(1, int(round(total * self.sample_rate)))

    def render(self, trace: Any, mode: str | None = None, profile: ClusterProfile | None = None,
               duration: float | None = None, block: int = 512,
               write: Callable[[np.ndarray], None] | None = None) -> tuple[np.ndarray | None, Player]:
        """Play ``trace`` through: the (frames, 2) float32 audio (or each block to ``write``) and the player."""
        frames = self.frames_for(trace, duration)
        player = self.player(trace, mode, profile, block, duration, publish_status=False)
        audio = None if write is not None else np.empty((frames, 2), dtype=np.float32)
        buf = np.empty((block, 2), dtype=np.float32)
        for i in range(0, frames, block):
            n = min(block, frames - i)
            player.render_block(buf[:n])
            if write is not None:
                write(buf[:n])
            else:
                audio[i:i + n] = buf[:n]
        return audio, player


def open_package(path: str | os.PathLike, codec: str = "flac") -> CuePackage:
    """Load a package folder or zip (every file read is checked against the manifest)."""
    return CuePackage(path, codec)


def decisions_vector(pkg: CuePackage | str | os.PathLike, trace: Any, mode: str | None = None,
                     profile: ClusterProfile | None = None, duration: float | None = None,
                     block: int = 512) -> list[dict[str, Any]]:
    """The runtime's decisions for ``trace``: where it starts, every switch and intensity target, in samples.

    The shared test vector of the Python runtime and the web player: entries in time order,
    ``{"kind": "start", "sample": 0, "variant", "intensity"}``, ``{"kind": "switch", "sample" (first
    sample of the crossfade), "from", "to", "fade_samples", "leave_sample", "enter_sample"
    (cue positions), "decided_at" (seconds)}`` and ``{"kind": "intensity", "sample", "target"}``.
    """
    if not isinstance(pkg, CuePackage):
        pkg = open_package(pkg)
    _, player = pkg.render(trace, mode, profile, duration, block, write=lambda b: None)
    s, names = player.schedule, pkg.stems.variant_names
    out: list[dict[str, Any]] = [{"kind": "start", "sample": 0, "variant": names[s.start_variant],
                                  "intensity": round(float(s.start_intensity), 6)}]
    out += [{"kind": "switch", "sample": int(sw.sample), "from": names[sw.source], "to": names[sw.target],
             "fade_samples": int(sw.fade), "leave_sample": int(sw.leave_pos), "enter_sample": int(sw.enter_pos),
             "decided_at": round(float(sw.decided_at), 6)} for sw in s.switches]
    out += [{"kind": "intensity", "sample": int(t), "target": round(float(v), 6)} for t, v in s.intensity]
    out.sort(key=lambda e: (e["sample"], e["kind"] != "start", e["kind"]))
    return out
