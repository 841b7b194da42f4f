"""Does a variant's intensity carry arousal?  What the demo cue's music does over each variant's
intensity range, as the player mixes it (stems, intensity law, level matching over intensity).

Per variant, at five intensities across its range: the arousal that intensity stands for
(core.emotion_span), integrated loudness (BS.1770), onsets per second (spectral-flux peaks) and the
spectral centroid, three measures music-emotion research ties to arousal.  A variant marked
``arousal_follows_intensity`` should rise on them from the bottom of its range to the top.
Run: python benchmarks/intensity_arousal.py [PROJECT] [--cue C]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from composer_assist.audio.render import render_cue  # noqa: E402
from composer_assist.core.emotion_span import arousal_at  # noqa: E402
from composer_assist.core.levels import integrated_lufs  # noqa: E402
from composer_assist.core.project import load_project  # noqa: E402
from composer_assist.core.mixmath import LUT_STEPS  # noqa: E402
from composer_assist.playback.stems import StemSet  # noqa: E402

FRAME, HOP = 2048, 512


def features(mono: np.ndarray, sr: int) -> tuple[float, float]:
    """(onsets per second, mean spectral centroid in Hz) of a mono signal."""
    n = 1 + (mono.size - FRAME) // HOP
    idx = np.arange(FRAME)[None, :] + HOP * np.arange(n)[:, None]
    mag = np.abs(np.fft.rfft(mono[idx] * np.hanning(FRAME), axis=1))
    freqs = np.fft.rfftfreq(FRAME, 1.0 / sr)
    energy = mag.sum(axis=1)
    centroid = float(np.sum(mag @ freqs) / max(float(energy.sum()), 1e-12))
    flux = np.maximum(np.diff(np.log1p(100.0 * mag), axis=0), 0.0).sum(axis=1)
    thr = np.convolve(flux, np.ones(9) / 9, mode="same") * 1.5 + 1e-3 * float(flux.max(initial=0.0))
    peaks = (flux[1:-1] > thr[1:-1]) & (flux[1:-1] >= flux[:-2]) & (flux[1:-1] > flux[2:])
    return float(np.sum(peaks)) / (mono.size / sr), centroid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", nargs="?", default=str(ROOT / "projects" / "demo"))
    ap.add_argument("--cue", default="night_chase")
    args = ap.parse_args()
    project = load_project(args.project)
    stems = StemSet.from_render(render_cue(project, args.cue, jobs=2))
    sr = stems.sample_rate
    print(f"{'variant':<10} {'follows':>7} {'intensity':>9} {'arousal':>7} {'LUFS':>7} {'onsets/s':>8} {'centroid Hz':>11}")
    for vi, v in enumerate(stems.cue.variants):
        lo, hi = v.intensity
        stack = stems.stacks[vi]
        for i in np.linspace(lo, hi, 5):
            g = stems.luts[vi][int(round(i * LUT_STEPS))]
            mix = (stack @ g).reshape(-1, 2).T.astype(np.float64)  # interleaved rows -> (2, frames)
            lufs = integrated_lufs(mix, sr)
            onsets, centroid = features(mix.mean(axis=0), sr)
            print(f"{v.name:<10} {'yes' if v.arousal_follows_intensity else 'no':>7} {i:>9.2f} "
                  f"{float(arousal_at(i)):>+7.2f} {lufs:>7.1f} {onsets:>8.2f} {centroid:>11.0f}")


if __name__ == "__main__":
    main()
