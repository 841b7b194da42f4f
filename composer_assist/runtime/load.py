"""From a package's manifest and stems to what the playback ``Player`` reads: a ``core`` Cue and a
``StemSet``.

The cue is rebuilt from the manifest in beats (tempo map, meter, loop, markers, rules, layers
with their intensity laws), so the player's clock, scheduler and mixer compute the same samples
as they do in ``adapt``.  Stems already carry fader, pan and level (the manifest says ``baked``):
the rebuilt layers have unity gain and centre pan, and the level match is unity but for the
local loudness tables (``loudness_windows``) the mixer's level match over intensity and
transition trim read.
"""

from __future__ import annotations

import io
import math
from typing import Any, Callable

import numpy as np

from composer_assist.core.errors import PackageError
from composer_assist.core.level_match import LevelMatch
from composer_assist.core.level_windows import unpack
from composer_assist.core.peak_envelope import NO_ENVELOPES, PeakEnvelopes
from composer_assist.core.project import AdaptiveSettings, Cue, Layer, Marker, PluginRef, TransitionRule, Variant
from composer_assist.core.timing import Meter, TempoMap, TempoPoint
from composer_assist.playback.policy import PolicyConfig
from composer_assist.playback.stems import StemSet

from .format import MAX_STEM_PEAK

CODECS = ("flac", "opus")
# what libsndfile calls each codec's files: a stem of another kind (a float WAV renamed .flac) is forged
CONTAINERS = {"flac": ("FLAC", None), "opus": ("OGG", "OPUS")}
_RUNTIME = PluginRef(plugin="(package stem)")  # layers play stems, never plugins


def _layer(d: dict[str, Any]) -> Layer:
    lo, hi = d.get("intensity", (0.0, 1.0))
    return Layer(name=d["name"], instrument=_RUNTIME, gain_db=0.0, pan=0.0, intensity=(float(lo), float(hi)),
                 fade=float(d.get("fade", 0.0)))


def cue_from_manifest(m: dict[str, Any]) -> Cue:
    """The ``core`` Cue a manifest describes (raises KeyError/TypeError/ValueError when malformed)."""
    c, a = m["cue"], m["adaptive"]
    tempo = TempoMap([TempoPoint(float(p["beat"]), float(p["bpm"])) for p in c["tempo"]])
    variants = [Variant(name=v["name"], valence=float(v["valence"]), arousal=float(v["arousal"]),
                        tags=[str(t) for t in v["tags"]], intensity=tuple(map(float, v["intensity"])),
                        layers=[_layer(l) for l in v["layers"]], level_offset_lu=float(v["level_offset_lu"]),
                        arousal_follows_intensity=bool(v.get("arousal_follows_intensity", False)))
                for v in m["variants"]]
    rules = [TransitionRule(source=r["source"], target=r["target"], leave=r["leave"], bars=int(r.get("bars", 1)),
                            leave_marker=r.get("leave_marker"), enter=r["enter"], enter_marker=r.get("enter_marker"),
                            fade_beats=float(r["fade_beats"]), curve=r["curve"], stinger=r.get("stinger"))
             for r in m["rules"]]
    stingers = [Layer(name=s["name"], instrument=_RUNTIME) for s in m["stingers"]]
    loop = m["loop"]
    settings = AdaptiveSettings(dwell_bars=float(a["dwell_bars"]), hysteresis=float(a["hysteresis"]),
                                intensity_slew=float(a["intensity_slew"]), control_rate=float(a["control_rate"]),
                                congruence_radius=float(a["congruence_radius"]),
                                # a package made before the switch budget has none
                                max_switches_per_minute=int(a.get("max_switches_per_minute") or 0))
    return Cue(name=c["name"], tempo=tempo, meter=Meter(int(c["meter"]["numerator"]), int(c["meter"]["denominator"])),
               key=c.get("key"), length_bars=int(c["length_bars"]),
               loop=(float(loop["start_beat"]), float(loop["end_beat"])),
               markers=[Marker(k["name"], float(k["beat"])) for k in m["markers"]], variants=variants,
               transitions=rules, stingers=stingers, adaptive=settings)


def policy_config(m: dict[str, Any]) -> PolicyConfig:
    """The policy settings the package was exported with (unknown names are ignored: newer settings),
    calibration on when the package says so and this policy can calibrate."""
    known = set(PolicyConfig.__dataclass_fields__)
    values = {k: float(v) for k, v in m["adaptive"].get("policy", {}).items() if k in known}
    calibration = m["adaptive"].get("calibration") or {}
    if "calibrate" in known:
        values["calibrate"] = bool(calibration.get("enabled", False))
    return PolicyConfig(**values)


def decode(data: bytes, stem: dict[str, Any], codec: str, sample_rate: int, name: str) -> np.ndarray:
    """(2, frames + tail_frames) float32 samples of an encoded stem, times its scale: refused, naming
    the file, unless it is a stereo ``codec`` file at ``sample_rate`` of that many frames whose
    samples are numbers within ``MAX_STEM_PEAK``."""
    want = int(stem["frames"]) + int(stem.get("tail_frames", 0))
    audio, sr = _read_audio(data, codec, want, name)
    if sr != sample_rate or audio.shape[1] != 2 or audio.shape[0] != want:
        raise PackageError(f"{name}: {audio.shape[0]} frames x {audio.shape[1]} channels at {sr} Hz, expected "
                           f"{want} x 2 at {sample_rate} Hz")
    scale = float(stem.get("scale", 1.0))
    out = np.ascontiguousarray(audio.T)
    if scale != 1.0:
        out *= np.float32(scale)
    _check_peak(out, name)
    return out


def _read_audio(data: bytes, codec: str, want: int, name: str) -> tuple[np.ndarray, int]:
    """(frames, channels) samples of a ``codec`` file, at most ``want + 1`` frames (a longer one is
    refused by the caller without holding it all), and its sample rate."""
    import soundfile as sf

    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            if (f.format, f.subtype if CONTAINERS[codec][1] else None) != CONTAINERS[codec]:
                raise PackageError(f"{name}: a {f.format}/{f.subtype} file, not {codec.upper()} (a forged stem)")
            return f.read(want + 1, dtype="float32", always_2d=True), f.samplerate
    except (RuntimeError, sf.LibsndfileError) as exc:
        # libsndfile's own words, without the object address soundfile puts before them
        raise PackageError(f"{name}: cannot decode ({getattr(exc, 'error_string', None) or exc})") from None


def _check_peak(audio: np.ndarray, name: str) -> None:
    """Refuse samples that are not numbers or pass ``MAX_STEM_PEAK``: what no export writes."""
    peak = max(float(audio.max(initial=0.0)), -float(audio.min(initial=0.0)))
    if not peak <= MAX_STEM_PEAK:  # NaN fails this too
        what = "samples that are not numbers" if math.isnan(peak) else \
            f"samples up to {20 * math.log10(peak):+.1f} dBFS"
        raise PackageError(f"{name}: holds {what}, past the +{20 * math.log10(MAX_STEM_PEAK):.0f} dBFS a stem "
                           f"may reach (a damaged or forged stem)")


def stem_set(m: dict[str, Any], cue: Cue, read: Callable[[str], bytes], codec: str = "flac",
             package: str = "") -> StemSet:
    """The StemSet of a package's stems (``read(path)`` gives a checked file's bytes; ``package``
    names the package in a complaint about a stem)."""
    if codec not in CODECS:
        raise PackageError(f"codec {codec!r}: expected one of {', '.join(CODECS)}")
    sr = int(m["sample_rate"])
    stems: dict[str, dict[str, np.ndarray]] = {}
    tails: dict[str, dict[str, np.ndarray]] = {}
    for v in m["variants"]:
        for layer in v["layers"]:
            audio = _read_stem(layer["stem"], codec, sr, read, package)
            n = int(layer["stem"]["frames"])
            stems.setdefault(v["name"], {})[layer["name"]] = audio[:, :n]
            tails.setdefault(v["name"], {})[layer["name"]] = audio[:, n:]
    stingers = {s["name"]: _read_stem(s["stem"], codec, sr, read, package) for s in m["stingers"]}
    length = max((a.shape[1] for per in stems.values() for a in per.values()), default=0)
    return StemSet.from_arrays(cue, sr, stems, tails, stingers, _levels(m),
                               peak_env=_peak_envelopes(m, length, {k: a.shape[1] for k, a in stingers.items()}))


def _peak_envelopes(m: dict[str, Any], length: int, shots: dict[str, int]) -> PeakEnvelopes:
    """The variants' and stingers' peak envelopes as the manifest carries them (``shots``: each
    stinger's length in frames), ``NO_ENVELOPES`` (no peak guard) when it carries none for a
    variant, and stingers out of the guard when one has none, as the web player reads them."""
    block = int((m.get("loudness") or {}).get("peak_block", 0) or 0)
    rows = [v.get("peak_envelope") for v in m["variants"]]
    if block <= 0 or any(r is None for r in rows):
        return NO_ENVELOPES
    out = [_envelope(r, -(-length // block), f"variant {v['name']!r}", f"{block} samples of the cue")
           for v, r in zip(m["variants"], rows)]
    rows = [s.get("peak_envelope") for s in m["stingers"]]
    if any(r is None for r in rows):
        return PeakEnvelopes(block, out)
    hits = [_envelope(r, max(1, -(-shots[s["name"]] // block)), f"stinger {s['name']!r}",
                      f"{block} samples of the stinger") for s, r in zip(m["stingers"], rows)]
    return PeakEnvelopes(block, out, None, hits)


def _envelope(row: Any, want: int, what: str, per: str) -> np.ndarray:
    """One manifest envelope as an array, or a PackageError naming ``what`` and the field."""
    env = np.asarray(row, dtype=np.float64)
    if env.shape != (want,) or not np.all(np.isfinite(env)) or env.min(initial=0.0) < 0:
        raise PackageError(f"manifest: {what}: peak_envelope holds {env.size} values, expected {want} finite "
                           f"values >= 0 (one per {per})")
    return env


def _levels(m: dict[str, Any]) -> LevelMatch:
    """Unity gains (baked into the stems) and the local loudness tables the manifest carries."""
    hop = int((m.get("loudness") or {}).get("window_hop", 0) or 0)
    windows = {}
    for v in m["variants"]:
        if v.get("loudness_windows") and hop > 0:
            try:
                windows[v["name"]] = unpack(v["loudness_windows"], len(v["layers"]))
            except ValueError as exc:
                raise PackageError(f"manifest: variant {v['name']!r}: {exc}") from None
    return LevelMatch(windows=windows, window_hop=hop if windows else 0)


def _read_stem(stem: dict[str, Any], codec: str, sr: int, read: Callable[[str], bytes], package: str) -> np.ndarray:
    f = stem.get(codec)
    if f is None:
        raise PackageError(f"the package has no {codec} stems (export with --web for Opus)")
    return decode(read(f["path"]), stem, codec, sr, f"{package}: {f['path']}" if package else f["path"])
