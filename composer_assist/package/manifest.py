"""The cue package manifest, defined once: pydantic models whose JSON Schema is generated from them.

A package is a folder or zip holding ``manifest.json`` (this model), ``manifest.schema.json``
(its JSON Schema), the stems (``stems/*.flac``, with ``--web`` also ``*.opus``), the stingers and,
optionally, ``listeners.json`` (cluster profiles and the tables that assign a listener from
feedback events).  Every file but the manifest is listed in ``files`` with its SHA-256 and size.

Positions are given in beats (quarter notes) and in samples at ``sample_rate``.  Stems carry the
layer's fader, pan, the variant's matched level and the delivery gain already (``baked``), so a
player multiplies each stem only by its intensity law and the crossfade envelope.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from composer_assist.core.project.model import ADAPTIVE_RANGES, MAX_SWITCHES_PER_MINUTE
from composer_assist.runtime.format import FORMAT, FORMAT_VERSION, LISTENERS_NAME, MANIFEST_NAME, SCHEMA_NAME
from composer_assist.runtime.load import MAX_SAMPLE_RATE

__all__ = ["FORMAT", "FORMAT_VERSION", "LISTENERS_NAME", "MANIFEST_NAME", "SCHEMA_NAME", "Manifest"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


def _ranged(name: str) -> float:
    """An adaptive setting held to the range a project holds it to (core ``ADAPTIVE_RANGES``)."""
    lo, hi, lo_open = ADAPTIVE_RANGES[name]
    return Field(gt=lo, le=hi) if lo_open else Field(ge=lo, le=hi)  # type: ignore[return-value]


class TempoPoint(_Model):
    beat: float = Field(ge=0)
    bpm: float = Field(gt=0)
    sample: int = Field(ge=0, description="sample of this tempo change")


class Meter(_Model):
    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)


class Marker(_Model):
    name: str
    beat: float
    sample: int


class Region(_Model):
    start_beat: float
    end_beat: float
    start_sample: int
    end_sample: int = Field(description="exclusive: the first sample after the loop")


class AudioFile(_Model):
    """One encoded stem: its path in the package and how to read it back sample-exactly."""

    path: str
    codec: Literal["flac", "opus"]
    bits: int | None = Field(None, description="FLAC: bits per sample (24)")
    bitrate: int | None = Field(None, description="Opus: bits per second")
    pre_skip: int = Field(0, ge=0, description="Opus: decoder samples (48 kHz) to drop at the start (OpusHead "
                                                  "pre-skip); a decoder that honours it, as libsndfile does, "
                                                  "returns exactly `frames` samples")
    padding: int = Field(0, ge=0, description="Opus: samples the last packet carries past `frames` "
                                                "(trimmed by the final granule position)")


class Stem(_Model):
    """A stem: the body (``frames`` samples, the cue length) followed by ``tail_frames`` of release."""

    frames: int = Field(ge=1)
    tail_frames: int = Field(0, ge=0)
    scale: float = Field(1.0, gt=0, description="multiply decoded samples by this (a power of two, for a "
                                                  "stem that would exceed full scale)")
    flac: AudioFile
    opus: AudioFile | None = None


class Layer(_Model):
    name: str
    intensity: tuple[float, float] = Field(description="sounds while intensity is inside this range")
    fade: float = Field(ge=0, description="intensity width of the gain ramp at each edge (0: hard edge)")
    gain_db: float = Field(description="fader (already baked into the stem)")
    pan: float = Field(description="pan (already baked into the stem)")
    stem: Stem


class Variant(_Model):
    name: str
    valence: float = Field(ge=-1, le=1)
    arousal: float = Field(ge=-1, le=1)
    tags: list[str]
    intensity: tuple[float, float]
    nominal_intensity: float
    level_offset_lu: float
    arousal_follows_intensity: bool = Field(
        False, description="its intensity layers carry the arousal: at intensity i it expresses arousal 2i - 1 "
                           "within its intensity range (a span, not only `arousal`); the policy's distance is "
                           "to the nearest point of that span")
    level_gain_db: float = Field(description="matched level gain (already baked into the stems)")
    layers: list[Layer]
    loudness_windows: list[list[float]] | None = Field(
        None, description="local loudness table (core.level_windows): per window start, every "
                          "`loudness.window_hop` samples of the cue (3 s windows running on through the loop "
                          "wrap), the upper triangle (row-major, l <= m) of the layers' K-weighted product means "
                          "of the stems as shipped.  The player matches the variants' levels over the intensity "
                          "range and trims each transition from it (playback.level_trim); null: neither")
    peak_envelope: list[Annotated[float, Field(ge=0, le=1)]] | None = Field(
        None, description="per block of `loudness.peak_block` samples of the cue, the most any sample of the "
                          "variant can reach there at any intensity (core.peak_envelope), over the loudest block of "
                          "any variant (1), rounded up to 1e-5: the player keeps a crossfade and a transition trim "
                          "under 1 (playback.level_trim's peak guard); null: no guard")


class Stinger(_Model):
    name: str
    gain_db: float
    pan: float
    stem: Stem
    peak_envelope: list[Annotated[float, Field(ge=0)]] | None = Field(
        None, description="per block of `loudness.peak_block` samples from its start, its largest sample, over "
                          "the variants' loudest block (over 1 where it is louder than every variant), rounded up "
                          "to 1e-5: the player holds it, and the entering variant, under what the leaving one "
                          "leaves (playback.level_trim's peak guard); null: not in the guard")


class TransitionRule(_Model):
    source: str = Field(description="variant name or '*'")
    target: str
    leave: Literal["immediate", "beat", "bar", "bars", "marker", "loop_end"]
    bars: int = Field(1, ge=1)
    leave_marker: str | None = None
    enter: Literal["same", "start", "marker"]
    enter_marker: str | None = None
    fade_beats: float = Field(ge=0)
    curve: Literal["equal_power", "linear", "s_curve"]
    stinger: str | None = None


class Transition(_Model):
    """The rule that applies to one (from, to) pair, resolved to samples."""

    source: str
    target: str
    rule: int = Field(description="index into `rules`, or -1 for the built-in default")
    leave_points: list[int] = Field(description="cue positions (samples) where the switch may start; empty "
                                                "for 'immediate'")
    enter_sample: int | None = Field(description="cue position the new variant enters at; null: the same "
                                                 "position as the old one")
    fade_samples: int = Field(description="crossfade length at the cue start's tempo (a tempo map changes "
                                          "it with the position)")
    stinger: str | None = None


class Adaptive(_Model):
    dwell_bars: float = _ranged("dwell_bars")
    hysteresis: float = _ranged("hysteresis")
    intensity_slew: float = _ranged("intensity_slew")
    control_rate: float = _ranged("control_rate")
    congruence_radius: float = _ranged("congruence_radius")
    max_switches_per_minute: int = Field(
        0, ge=0, le=MAX_SWITCHES_PER_MINUTE, description="the switch budget: at most this many switches start in any 60 s of music, kept "
                             "(N <= 2) as the window itself, live with a spacing of 60 / N s inside it until "
                             "the viewer has stayed near the new variant for the dwell, or (N >= 3) as that "
                             "spacing (playback/budget.py); 0 (or absent, packages made before it) is no budget")
    mode: Literal["live", "planned"] = Field(description="the mode `adapt` uses by default")
    policy: dict[str, float] = Field(description="the policy's settings (playback.policy.PolicyConfig)")
    calibration: dict[str, float | str | bool | None] | None = Field(
        None, description="per-listener calibration settings of the policy, when it has them")


class VariantLoudness(_Model):
    integrated_lufs: float | None = Field(description="at nominal intensity, as shipped")
    true_peak_dbtp: float | None = Field(description="the highest true peak at any intensity: the nominal mix, the full "
                                         "mix (every layer) and every row of the intensity table with the level "
                                         "match over intensity in (within 0.1 dB above the exact figure)")


class Loudness(_Model):
    target_lufs: float
    ceiling_dbtp: float
    cue_lufs: float | None = Field(description="the cue at nominal intensity (the variants' common level)")
    true_peak_dbtp: float | None = Field(description="the highest true peak of any variant (BS.1770-4, 4x)")
    delivery_gain_db: float = Field(description="gain from the project's matched level to delivery")
    target_met: bool
    note: str = ""
    window_hop: int = Field(0, ge=0, description="samples between the variants' `loudness_windows` starts")
    peak_block: int = Field(0, ge=0, description="samples per block of the variants' `peak_envelope`")
    variants: dict[str, VariantLoudness]


class Listeners(_Model):
    path: str = Field(description=f"the profiles and assignment tables ({LISTENERS_NAME}, the JSON of "
                                  "`learn export-profiles`)")
    clusters: list[str] = Field(description="cluster names, in cluster order")


class SceneCurve(_Model):
    path: str = Field(description="the title's scene emotion curve (scene_curve.json: times, valence, arousal), "
                                  "followed in planned mode when the viewer turns emotion sensing off")
    seconds: float = Field(ge=0, description="the curve's span")
    samples: int = Field(ge=2)


class FileEntry(_Model):
    path: str = Field(description="relative, '/'-separated, inside the package")
    size: int = Field(ge=0)
    sha256: str = Field(pattern="^[0-9a-f]{64}$")


class Cue(_Model):
    name: str
    key: str | None
    meter: Meter
    tempo: list[TempoPoint] = Field(min_length=1)
    length_bars: int = Field(ge=1)
    length_beats: float = Field(gt=0)
    length_samples: int = Field(ge=1)


class Manifest(_Model):
    format: Literal["composer-assist-cue-package"] = FORMAT
    format_version: int = FORMAT_VERSION
    generator: str
    sample_rate: int = Field(ge=1, le=MAX_SAMPLE_RATE)
    cue: Cue
    loop: Region
    markers: list[Marker]
    variants: list[Variant] = Field(min_length=1)
    rules: list[TransitionRule]
    transitions: list[Transition]
    stingers: list[Stinger]
    adaptive: Adaptive
    loudness: Loudness
    listeners: Listeners | None = None
    scene_curve: SceneCurve | None = None
    files: list[FileEntry]

    def referenced_paths(self) -> list[str]:
        """Every file path the manifest refers to (stems, stingers, listeners)."""
        stems = [l.stem for v in self.variants for l in v.layers] + [s.stem for s in self.stingers]
        out = [f.path for s in stems for f in (s.flac, s.opus) if f is not None]
        if self.listeners is not None:
            out.append(self.listeners.path)
        if self.scene_curve is not None:
            out.append(self.scene_curve.path)
        return out


def schema_json() -> str:
    """The JSON Schema of the manifest (shipped in each package and in docs/package-schema.json)."""
    return json.dumps(Manifest.model_json_schema(), indent=1, sort_keys=True) + "\n"


def manifest_json(manifest: Manifest) -> str:
    """The manifest's bytes: sorted keys, so the same package is the same bytes."""
    return json.dumps(manifest.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"
