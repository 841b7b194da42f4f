"""Editing a project: every change is a command made (and validated) against the project, then
applied and undone in place.  Qt-free; the command line and the app share it.

    from composer_assist.core import edit
    cmd = edit.set_command(project, "night_chase/calm.valence", "0.4")   # EditError if refused
    history = edit.UndoHistory(project); history.push(cmd); history.undo()
"""

from .base import Batch, Command, EditError, Loc, SetAttr, affected, find, verify
from .clips import import_clip, move_clip, remove_clip, transpose_clip, trim_clip
from .fields import FIELDS, PLUGIN_FIELDS, set_field
from .history import UndoHistory
from .markers import remove_marker, set_marker
from .paths import parse_loc, parse_path, set_command
from .plugin_slots import check_param, check_plugin_role, plugin_params, set_effects, set_instrument, set_param
from .structure import add_cue, add_layer, add_variant, remove, rename
from .transitions import RULE_FIELDS, remove_rule, set_rule

__all__ = ["FIELDS", "PLUGIN_FIELDS", "RULE_FIELDS", "Batch", "Command", "EditError", "Loc", "SetAttr",
           "UndoHistory", "add_cue", "affected", "add_layer", "add_variant", "check_param", "check_plugin_role", "find",
           "import_clip", "move_clip", "parse_loc", "parse_path", "plugin_params", "remove", "remove_clip", "remove_marker", "remove_rule", "rename",
           "set_command", "set_effects", "set_field", "set_instrument", "set_marker", "set_param", "set_rule", "transpose_clip",
           "trim_clip", "verify"]
