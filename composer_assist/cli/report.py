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
    """One row per cue variant: emotion tag, layers, duration, levels and render speed."""
    from composer_assist.core.levels import integrated_lufs, peak_dbfs, rms_dbfs
    from composer_assist.audio.render import STINGER, mixdown

    out = file or sys.stdout
    header = (f"{'cue':<14} {'variant':<12} {'emotion (V/A, tags)':<30} {'layers':>6} {'dur s':>6} "
              f"{'peak':>6} {'RMS':>6} {'LUFS':>6} {'speed':>8} {'cached':>6}")
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in renders:
        for v in r.cue.variants:
            if v.name not in r.stems:
                continue
            mix = mixdown(r, v.name)
            stats = [s for s in r.stats if s.variant == v.name]
            secs = sum(s.seconds for s in stats)
            wall = sum(s.wall for s in stats)
            speed = f"{secs / wall:.0f}x" if wall > 0 else "-"
            tags = ", ".join(v.tags)
            emotion = f"{v.valence:+.1f}/{v.arousal:+.1f}" + (f" {tags}" if tags else "")
            if len(emotion) > 30:
                emotion = emotion[:29] + "…"
            print(f"{r.cue.name[:14]:<14} {v.name[:12]:<12} {emotion:<30} {len(r.stems[v.name]):>6} "
                  f"{r.length / r.sample_rate:>6.1f} {_db(peak_dbfs(mix)):>6} {_db(rms_dbfs(mix)):>6} "
                  f"{_db(integrated_lufs(mix, r.sample_rate)):>6} {speed:>8} "
                  f"{sum(s.cached for s in stats)}/{len(stats):<4}", file=out)
        stingers = [s for s in r.stats if s.variant == STINGER]
        if stingers:
            print(f"{'':<14} {'stingers':<12} {', '.join(s.layer for s in stingers)[:30]:<30} "
                  f"{len(stingers):>6}", file=out)
        for e in r.errors:
            print(f"error: cue {r.cue.name!r} {e}", file=out)
    print("speed: seconds of audio rendered per second of worker time (load + render), per stem; "
          "levels in dBFS of the mixdown", file=out)
