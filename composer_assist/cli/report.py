"""Tables printed after renders (used by ``render`` and ``demo``)."""

from __future__ import annotations

import math
import sys
from typing import TextIO


def _db(x: float | None) -> str:
    if x is None:
        return "-"
    return "-inf" if math.isinf(x) else f"{x:.1f}"


def print_render_table(renders: list, file: TextIO | None = None) -> None:
    """One row per cue variant: emotion tag, layers, duration, levels and render speed.

    A variant with a failed layer has no mixdown: its levels read ``-`` and the row ends with
    ``FAILED: <layers>``.  The errors themselves are the caller's to print (once).
    """
    from composer_assist.audio.render import STINGER

    out = file or sys.stdout
    header = (f"{'cue':<14} {'variant':<12} {'emotion (V/A, tags)':<30} {'layers':>6} {'dur s':>6} "
              f"{'peak':>6} {'RMS':>6} {'LUFS':>6} {'match':>6} {'offset':>6} {'speed':>8} {'cached':>6}")
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in renders:
        for v in r.cue.variants:
            if v.name in r.stems:
                print(_variant_row(r, v), file=out)
        stingers = [s.layer for s in r.stats if s.variant == STINGER]
        failed = [e.layer for e in r.errors if e.variant == STINGER]
        if stingers or failed:
            print(f"{'':<14} {'stingers':<12} {', '.join(stingers)[:30]:<30} {len(stingers):>6}"
                  + (f"  FAILED: {', '.join(failed)}" if failed else ""), file=out)
    print("speed: seconds of audio rendered per second of worker time (load + render), per stem rendered now "
          "('-': all from the cache); "
          "levels in dBFS of the mixdown (matched); match: the gain (dB) that puts the variant at the "
          "common loudness at its nominal intensity; offset: its level_offset_lu", file=out)
    for r in renders:
        for msg in r.level_match().messages:
            print(f"{r.cue.name}: {msg}", file=out)
    if any(e.variant != STINGER for r in renders for e in r.errors):
        print("a variant with a FAILED layer has no mix.wav", file=out)


def _variant_row(r, v) -> str:
    from composer_assist.core.levels import integrated_lufs, peak_dbfs, rms_dbfs
    from composer_assist.audio.render import mixdown

    stats = [s for s in r.stats if s.variant == v.name]
    rendered = [s for s in stats if not s.cached]  # a cached stem's figures are from its first render
    secs = sum(s.seconds for s in rendered)
    wall = sum(s.wall for s in rendered)
    speed = f"{secs / wall:.0f}x" if wall > 0 else "-"
    tags = ", ".join(v.tags)
    emotion = f"{v.valence:+.1f}/{v.arousal:+.1f}" + (f" {tags}" if tags else "")
    if len(emotion) > 30:
        emotion = emotion[:29] + "…"
    failed = r.failed_layers(v.name)
    if failed:
        levels = f"{'-':>6} {'-':>6} {'-':>6} {'-':>6}"
        layers = f"{len(r.stems[v.name])}/{len(v.layers)}"
    else:
        mix = mixdown(r, v.name)
        levels = (f"{_db(peak_dbfs(mix)):>6} {_db(rms_dbfs(mix)):>6} {_db(integrated_lufs(mix, r.sample_rate)):>6} "
                  f"{r.level_match().gain_db(v.name):>+6.1f}")
        layers = str(len(r.stems[v.name]))
    row = (f"{r.cue.name[:14]:<14} {v.name[:12]:<12} {emotion:<30} {layers:>6} "
           f"{r.length / r.sample_rate:>6.1f} {levels} {v.level_offset_lu:>+6.1f} {speed:>8} {sum(s.cached for s in stats)}/{len(stats):<4}")
    return row + (f"  FAILED: {', '.join(failed)}" if failed else "")


def print_render_warnings(renders: list, file: TextIO | None = None) -> None:
    """``warning: ...`` lines (e.g. notes an instrument does not sound), on stderr by default."""
    for r in renders:
        for w in r.warnings:
            print(f"warning: {w}", file=file or sys.stderr)
