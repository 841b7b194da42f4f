"""Names and limits of the cue package format, shared by the exporter, the checker and the runtime."""

FORMAT = "composer-assist-cue-package"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SCHEMA_NAME = "manifest.schema.json"
LISTENERS_NAME = "listeners.json"
MAX_MANIFEST_BYTES = 16 << 20  # a manifest is text about a cue: megabytes at most
MAX_PACKAGE_BYTES = 8 << 30  # a 4-hour cue's FLAC stems fit well under this; more is a zip bomb
