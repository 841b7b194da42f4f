"""Cue packages end to end, for the CLI and the app: export, listener events, playing a package."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any, Callable

from composer_assist.core.errors import PackageError
from composer_assist.runtime.package import CuePackage


def listeners_json(profiles: str | None = None, model: str | None = None, store: str | None = None,
                   project: str | None = None, min_cluster_size: int = 50) -> Any | None:
    """The profiles and assignment tables to ship: an export-profiles file, or a model in the store;
    clusters of at least ``min_cluster_size`` listeners only (``learn.min_size``)."""
    if profiles is not None and model is not None:
        raise PackageError("give either --profiles or --listener-model, not both")
    if profiles is not None:
        from composer_assist.learn.tables import load_export, tables_from_export

        from composer_assist.learn.min_size import drop_small_exported

        data = load_export(profiles)
        tables_from_export(data, str(profiles))
        return drop_small_exported(data, min_cluster_size, str(profiles))
    if model is not None:
        from composer_assist.learn.assign import load_model
        from composer_assist.learn.store import default_store_dir
        from composer_assist.learn.tables import export_json

        if store is None and project is not None:
            from composer_assist.core.errors import ModelStoreError
            from composer_assist.learn.store import ModelStore

            try:  # the project's own store first, as `adapt --listener-model` looks
                if ModelStore(default_store_dir(project)).path_for(model).exists():
                    store = str(default_store_dir(project))
            except ModelStoreError:
                pass
        return export_json(load_model(model, store), min_cluster_size)
    return None


def listener_events(log_path: str | os.PathLike, listener: str) -> list[dict[str, Any]]:
    """A listener's events of a feedback log (CSV or JSONL) as mappings with the log's columns."""
    from composer_assist.learn.feedback_log import load_feedback_log

    from composer_assist.learn.assign import require_listener

    log = load_feedback_log(log_path)
    require_listener(log, listener, log_path)
    mine = log.for_listener(listener)
    return [{"listener": listener, "cue": mine.cue_names[int(c)], "variant": mine.variant_names[int(v)],
             "valence": float(va), "arousal": float(ar), "kept": int(k),
             "rating": None if math.isnan(r) else float(r)}
            for c, v, va, ar, k, r in zip(mine.cue, mine.variant, mine.valence, mine.arousal, mine.kept, mine.rating)]


def render_package_to_wav(pkg: CuePackage, trace: Any, out: str | os.PathLike, mode: str | None = None,
                          profile: Any = None, duration: float | None = None, block: int = 512,
                          progress: Callable[[int, int], None] | None = None) -> tuple[Path, Any, float]:
    """Render a package for ``trace`` into a float32 WAV, streamed; (path, player, seconds of mixing)."""
    from composer_assist.audio.wavio import WavStream

    frames = pkg.frames_for(trace, duration)
    stream = WavStream(out, pkg.sample_rate)
    done = [0]

    def write(block_audio):
        stream.write(block_audio)
        done[0] += block_audio.shape[0]
        if progress is not None and (done[0] // block) % 200 == 0:
            progress(done[0], frames)

    t0 = time.perf_counter()
    try:
        _, player = pkg.render(trace, mode, profile, duration, block, write=write)
    except BaseException:
        stream.abort()
        raise
    seconds = time.perf_counter() - t0
    stream.finish()
    return Path(out), player, seconds


def play_package_live(pkg: CuePackage, player: Any, device: str | None, null: bool, block: int,
                      end_s: float | None, osc_port: int | None = None) -> None:
    """Play ``player`` on a device (or paced with no device) until ``end_s`` seconds (None: until
    interrupted), following OSC input on ``osc_port`` when given."""
    import contextlib

    from composer_assist.services.play import fade_out, open_output, until_end

    output = open_output(device, null=null, block=block, sample_rate=pkg.sample_rate)
    osc = contextlib.nullcontext()
    if osc_port is not None:
        from composer_assist.services.osc import OscInput

        osc = OscInput(player.command_queue(), osc_port)
    control = player.command_queue()
    with osc, output.play(player):
        while (wait := until_end(player, end_s, 0.05)) is not None:
            time.sleep(wait)
            if output.failed():
                raise PackageError(f"audio output stopped: {output.failed()}")
        fade_out(player, control, output)
