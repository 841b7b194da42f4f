"""Names and limits of the cue package format, shared by the exporter, the checker and the runtime.

Each limit is defined here once (or in ``core.project.model``, where a project holds the same
number to it): the manifest's pydantic models (``package.manifest``, hence its JSON Schema, hence
``validate``) and the runtime's own checks read the same constants.
"""

FORMAT = "composer-assist-cue-package"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SCHEMA_NAME = "manifest.schema.json"
LISTENERS_NAME = "listeners.json"
MAX_MANIFEST_BYTES = 16 << 20  # a manifest is text about a cue: megabytes at most
MAX_PACKAGE_BYTES = 8 << 30  # a 4-hour cue's FLAC stems fit well under this; more is a zip bomb

MAX_SAMPLE_RATE = 384000
# any count of samples (lengths, positions, blocks): a 4-hour cue at the highest rate is 5.5e9;
# beyond 2^33 a number is a hand edit, and would overflow what the player allocates
MAX_SAMPLES = 1 << 33
# a stem's samples once decoded and scaled: up to +12 dBFS (the exporter stores a louder stem
# divided by a power of two, `scale`); beyond it, or not finite, a stem is damaged or forged
MAX_STEM_PEAK = 4.0
STEM_SCALE = (1.0, MAX_STEM_PEAK)
# a local loudness table holds mean products of two stems' samples: at most MAX_STEM_PEAK squared
MAX_WINDOW_ENERGY = MAX_STEM_PEAK * MAX_STEM_PEAK
# (lowest, highest) of the numbers a layer and a variant carry, as a project holds them
# (core.project.parse): the intensity law's range and fade, fader, pan and level offset
INTENSITY = (0.0, 1.0)
FADE = (0.0, 1.0)
GAIN_DB = (-120.0, 24.0)
PAN = (-1.0, 1.0)
LEVEL_OFFSET_LU = (-24.0, 24.0)
# (lowest, highest, lowest excluded) of the policy's settings (playback.policy.PolicyConfig) the
# player divides or multiplies by; a setting not named here (a newer policy's) is any finite number
POLICY_RANGES = {
    "smoothing_s": (0.0, 3600.0, False),
    "valence_weight": (0.0, 100.0, False),
    "arousal_weight": (0.0, 100.0, False),
    "heart_rate_weight": (0.0, 1.0, False),
    "heart_rate_baseline_s": (0.0, 3600.0, False),
    "heart_rate_scale_bpm": (0.0, 1000.0, True),
}
