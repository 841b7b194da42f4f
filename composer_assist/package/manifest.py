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
import pprint
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from composer_assist.core.project.model import (ADAPTIVE_RANGES, MAX_BARS, MAX_BEATS, MAX_FADE_BEATS,
                                                MAX_METER_NUMERATOR, MAX_SWITCHES_PER_MINUTE, METER_DENOMINATORS,
                                                TEMPO_RANGE)
from composer_assist.runtime.format import (FADE, FORMAT, FORMAT_VERSION, GAIN_DB, INTENSITY, LEVEL_OFFSET_LU,
                                            LISTENERS_NAME, MANIFEST_NAME, MAX_PACKAGE_BYTES, MAX_SAMPLE_RATE,
                                            MAX_SAMPLES, MAX_WINDOW_ENERGY, PAN, POLICY_RANGES, SCHEMA_NAME,
                                            STEM_SCALE)
from composer_assist.runtime.scene import MAX_SCENE_SAMPLES

__all__ = ["FORMAT", "FORMAT_VERSION", "LISTENERS_NAME", "MANIFEST_NAME", "SCHEMA_NAME", "Manifest"]


class _Model(BaseModel):
    # NaN and infinities are no JSON numbers: a manifest never holds one
    model_config = ConfigDict(extra="forbid", frozen=False, allow_inf_nan=False)


def _ranged(lo: float, hi: float, lo_open: bool = False, **kw) -> float:
    """A field held to [lo, hi] ((lo, hi] with ``lo_open``): a range shared with the runtime."""
    bounds = {"gt": lo} if lo_open else {"ge": lo}
    return Field(le=hi, **bounds, **kw)  # type: ignore[return-value]


def _adaptive(name: str) -> float:
    """An adaptive setting held to the range a project holds it to (core ``ADAPTIVE_RANGES``)."""
    return _ranged(*ADAPTIVE_RANGES[name])


def _policy(name: str, default: float) -> float:
    return _ranged(*POLICY_RANGES[name], default=default)


Samples = Annotated[int, Field(ge=0, le=MAX_SAMPLES)]
Intensity = Annotated[float, Field(ge=INTENSITY[0], le=INTENSITY[1])]


class TempoPoint(_Model):
    beat: float = Field(ge=0, le=MAX_BEATS)
    bpm: float = Field(ge=TEMPO_RANGE[0], le=TEMPO_RANGE[1])
    sample: Samples = Field(description="sample of this tempo change")


class Meter(_Model):
    numerator: int = Field(ge=1, le=MAX_METER_NUMERATOR)
    # (pydantic's Literal of numbers takes true for 1: the runtime's consistency check holds it to
    # METER_DENOMINATORS)
    denominator: int = Field(ge=1, le=max(METER_DENOMINATORS))


class Marker(_Model):
    name: str
    beat: float = Field(ge=0, le=MAX_BEATS)
    sample: Samples


class Region(_Model):
    start_beat: float = Field(ge=0, le=MAX_BEATS)
    end_beat: float = Field(ge=0, le=MAX_BEATS)
    start_sample: Samples
    end_sample: Samples = Field(description="exclusive: the first sample after the loop")


class AudioFile(_Model):
    """One encoded stem: its path in the package and how to read it back sample-exactly."""

    path: str
    codec: Literal["flac", "opus"]
    bits: int | None = Field(None, ge=1, le=32, description="FLAC: bits per sample (24)")
    bitrate: int | None = Field(None, ge=1, le=10_000_000, description="Opus: bits per second")
    pre_skip: int = Field(0, ge=0, le=MAX_SAMPLES, description="Opus: decoder samples (48 kHz) to drop at the start (OpusHead "
                                                  "pre-skip); a decoder that honours it, as libsndfile does, "
                                                  "returns exactly `frames` samples")
    padding: int = Field(0, ge=0, le=MAX_SAMPLES, description="Opus: samples the last packet carries past `frames` "
                                                "(trimmed by the final granule position)")


class Stem(_Model):
    """A stem: the body (``frames`` samples, the cue length) followed by ``tail_frames`` of release."""

    frames: int = Field(ge=1, le=MAX_SAMPLES)
    tail_frames: Samples = 0
    scale: float = _ranged(*STEM_SCALE, default=1.0, description="multiply decoded samples by this (a power of two, for "
                                                         "a stem that would exceed full scale)")
    flac: AudioFile
    opus: AudioFile | None = None


class Layer(_Model):
    name: str
    intensity: tuple[Intensity, Intensity] = Field(description="sounds while intensity is inside this range")
    fade: float = _ranged(*FADE, description="intensity width of the gain ramp at each edge (0: hard edge)")
    gain_db: float = _ranged(*GAIN_DB, description="fader (already baked into the stem)")
    pan: float = _ranged(*PAN, description="pan (already baked into the stem)")
    stem: Stem


class Variant(_Model):
    name: str
    valence: float = Field(ge=-1, le=1)
    arousal: float = Field(ge=-1, le=1)
    tags: list[str]
    intensity: tuple[Intensity, Intensity]
    nominal_intensity: Intensity
    level_offset_lu: float = _ranged(*LEVEL_OFFSET_LU)
    arousal_follows_intensity: bool = Field(
        False, description="its intensity layers carry the arousal: at intensity i it expresses arousal 2i - 1 "
                           "within its intensity range (a span, not only `arousal`); the policy's distance is "
                           "to the nearest point of that span")
    level_gain_db: float = Field(description="matched level gain (already baked into the stems)")
    layers: list[Layer]
    loudness_windows: list[list[Annotated[float, Field(ge=-MAX_WINDOW_ENERGY, le=MAX_WINDOW_ENERGY)]]] | None = Field(
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
    gain_db: float = _ranged(*GAIN_DB)
    pan: float = _ranged(*PAN)
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
    bars: int = Field(1, ge=1, le=MAX_BARS)
    leave_marker: str | None = None
    enter: Literal["same", "start", "marker"]
    enter_marker: str | None = None
    fade_beats: float = Field(ge=0, le=MAX_FADE_BEATS)
    curve: Literal["equal_power", "linear", "s_curve"]
    stinger: str | None = None


class Transition(_Model):
    """The rule that applies to one (from, to) pair, resolved to samples."""

    source: str
    target: str
    rule: int = Field(ge=-1, description="index into `rules`, or -1 for the built-in default")
    leave_points: list[Samples] = Field(description="cue positions (samples) where the switch may start; empty "
                                                "for 'immediate'")
    enter_sample: Samples | None = Field(description="cue position the new variant enters at; null: the same "
                                                 "position as the old one")
    fade_samples: Samples = Field(description="crossfade length at the cue start's tempo (a tempo map changes "
                                          "it with the position)")
    stinger: str | None = None


class Policy(_Model):
    """The policy's settings (``playback.policy.PolicyConfig``); a newer policy's are kept as numbers."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    __pydantic_extra__: dict[str, float] = Field(init=False)
    smoothing_s: float = _policy("smoothing_s", 0.75)
    valence_weight: float = _policy("valence_weight", 1.0)
    arousal_weight: float = _policy("arousal_weight", 1.0)
    heart_rate_weight: float = _policy("heart_rate_weight", 0.3)
    heart_rate_baseline_s: float = _policy("heart_rate_baseline_s", 30.0)
    heart_rate_scale_bpm: float = _policy("heart_rate_scale_bpm", 20.0)


class Adaptive(_Model):
    dwell_bars: float = _adaptive("dwell_bars")
    hysteresis: float = _adaptive("hysteresis")
    intensity_slew: float = _adaptive("intensity_slew")
    control_rate: float = _adaptive("control_rate")
    congruence_radius: float = _adaptive("congruence_radius")
    max_switches_per_minute: int = Field(
        0, ge=0, le=MAX_SWITCHES_PER_MINUTE, description="the switch budget: at most this many switches start in any 60 s of music, kept "
                             "(N <= 2) as the window itself, live with a spacing of 60 / N s inside it until "
                             "the viewer has stayed near the new variant for the dwell, or (N >= 3) as that "
                             "spacing (playback/budget.py); 0 (or absent, packages made before it) is no budget")
    mode: Literal["live", "planned"] = Field(description="the mode `adapt` uses by default")
    policy: Policy = Field(description="the policy's settings (playback.policy.PolicyConfig)")
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
    window_hop: int = Field(0, ge=0, le=MAX_SAMPLES, description="samples between the variants' `loudness_windows` starts")
    peak_block: int = Field(0, ge=0, le=MAX_SAMPLES, description="samples per block of the variants' `peak_envelope`")
    variants: dict[str, VariantLoudness]


class Listeners(_Model):
    path: str = Field(description=f"the profiles and assignment tables ({LISTENERS_NAME}, the JSON of "
                                  "`learn export-profiles`)")
    clusters: list[str] = Field(description="cluster names, in cluster order")


class SceneCurve(_Model):
    path: str = Field(description="the title's scene emotion curve (scene_curve.json: times, valence, arousal), "
                                  "followed in planned mode when the viewer turns emotion sensing off")
    seconds: float = Field(ge=0, description="the curve's span")
    samples: int = Field(ge=2, le=MAX_SCENE_SAMPLES)


class FileEntry(_Model):
    path: str = Field(description="relative, '/'-separated, inside the package")
    size: int = Field(ge=0, le=MAX_PACKAGE_BYTES)
    sha256: str = Field(pattern="^[0-9a-f]{64}$")


class Cue(_Model):
    name: str
    key: str | None
    meter: Meter
    tempo: list[TempoPoint] = Field(min_length=1)
    length_bars: int = Field(ge=1, le=MAX_BARS)
    length_beats: float = Field(gt=0, le=MAX_BEATS)
    length_samples: int = Field(ge=1, le=MAX_SAMPLES)


class Manifest(_Model):
    format: Literal["composer-assist-cue-package"] = FORMAT
    format_version: int = Field(FORMAT_VERSION, ge=1, le=FORMAT_VERSION,
                                description="a reader refuses a version it does not know")
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


def schema_json() -> str:
    """The JSON Schema of the manifest (shipped in each package and in docs/package-schema.json)."""
    return json.dumps(Manifest.model_json_schema(), indent=1, sort_keys=True) + "\n"


def manifest_json(manifest: Manifest) -> str:
    """The manifest's bytes: sorted keys, so the same package is the same bytes."""
    return json.dumps(manifest.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"


RUNTIME_SCHEMA = Path(__file__).resolve().parents[1] / "runtime" / "manifest_schema.py"
_PROSE = ("title", "description", "default")  # what a checker does not read


def _checked(schema: Any) -> Any:
    """``schema`` without its prose (the names of properties and definitions kept whatever they are)."""
    if isinstance(schema, list):
        return [_checked(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k in ("properties", "$defs"):
            out[k] = {name: _checked(sub) for name, sub in v.items()}
        elif k not in _PROSE:
            out[k] = _checked(v)
    return out


def runtime_schema_source() -> str:
    """The text of ``runtime/manifest_schema.py``: the schema the runtime checks a manifest against
    without pydantic (``runtime.manifest_check``), the models' own."""
    body = pprint.pformat(_checked(Manifest.model_json_schema()), indent=1, width=110, sort_dicts=True)
    return (f'"""The manifest\'s JSON Schema as the runtime checks it (``manifest_check``), without its prose.\n\n'
            f"Generated from the pydantic models of ``composer_assist.package.manifest``: do not edit; after a\n"
            f"change to the models run ``python -m composer_assist.package.manifest`` (a test holds the two equal).\n"
            f'"""\n\nSCHEMA = {body}\n')


def player_schema_source() -> str:
    """The text of the web player's ``js/manifestSchema.js``: the same schema, for ``manifestCheck.js``."""
    body = json.dumps(_checked(Manifest.model_json_schema()), indent=1, sort_keys=True)
    return ("// The manifest's JSON Schema as the page checks it (manifestCheck.js), without its prose.\n"
            "// Generated from composer_assist/package/manifest.py: do not edit; after a change to the models\n"
            "// run `python -m composer_assist.package.manifest` (a test holds it equal to the models').\n"
            f"export const SCHEMA = {body};\n")


def write_schemas(root: Path) -> None:
    """Rewrite the schemas generated from the models in the repository at ``root``: the docs' JSON
    Schema, the runtime's and the web player's."""
    (root / "docs" / "package-schema.json").write_text(schema_json(), encoding="utf-8")
    RUNTIME_SCHEMA.write_text(runtime_schema_source(), encoding="utf-8")
    (root / "player" / "js" / "manifestSchema.js").write_text(player_schema_source(), encoding="utf-8")


if __name__ == "__main__":
    write_schemas(Path(__file__).resolve().parents[2])
