"""Errors users see: one line naming the file and the field or line at fault."""

from __future__ import annotations


class ComposerAssistError(Exception):
    """Base for every error we show to a user as a single line (never a traceback)."""


class ProjectError(ComposerAssistError):
    """A project file is malformed or refers to something missing."""


class MidiImportError(ComposerAssistError):
    """A MIDI file cannot be read."""


class TraceError(ComposerAssistError):
    """An emotion trace file is malformed or ambiguous."""


class PluginError(ComposerAssistError):
    """A plugin is unknown, fails to load, crashes or hangs."""


class RenderError(ComposerAssistError):
    """Rendering a stem failed."""


class FeedbackError(ComposerAssistError):
    """A listener feedback log is malformed."""


class ModelStoreError(ComposerAssistError):
    """A saved preference model is missing, tampered with or from another schema."""


class AudioDeviceError(ComposerAssistError):
    """An audio output device is unknown, busy, missing or cannot play the requested format."""


class PackageError(ComposerAssistError):
    """A cue package is malformed, tampered with, unsafe to open, or cannot be written."""
