"""Projects: the data model, reading and writing JSON, files on disk, checks against plugins."""

from .files import PROJECT_FILE, load_project, project_json_path, save_project
from .model import (ADAPTIVE_RANGES, ANY, ENTER_MODES, FADE_CURVES, LEAVE_MODES, MAX_BARS, METER_DENOMINATORS,
                    SAMPLE_RATES, SCHEMA_VERSION, TEMPO_RANGE, AdaptiveSettings, Clip, Cue, Layer, Marker, Note,
                    PluginRef, Project, TransitionRule, Variant)
from .parse import project_from_json
from .plugin_check import PluginUse, check_plugins
from .serialize import layer_to_json, project_to_json

__all__ = ["ADAPTIVE_RANGES", "ANY", "ENTER_MODES", "FADE_CURVES", "LEAVE_MODES", "MAX_BARS", "METER_DENOMINATORS",
           "PROJECT_FILE", "SAMPLE_RATES", "SCHEMA_VERSION", "TEMPO_RANGE", "AdaptiveSettings", "Clip", "Cue", "Layer",
           "Marker", "Note", "PluginRef", "PluginUse", "Project", "TransitionRule", "Variant", "check_plugins",
           "layer_to_json", "load_project", "project_from_json", "project_json_path", "project_to_json",
           "save_project"]
