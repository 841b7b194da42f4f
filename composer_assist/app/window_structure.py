"""Adding, renaming, duplicating and removing cues, variants and layers from the project tree."""

from __future__ import annotations

from PyQt6.QtWidgets import QInputDialog

from composer_assist.core.edit import add_layer, add_variant, remove, rename

from .edits import loc

# What the tree's context menu offers at each level: (key, label)
STRUCTURE_ACTIONS = {
    "cue": [("add_variant", "Add variant…"), ("rename", "Rename cue…")],
    "variant": [("add_layer", "Add layer…"), ("duplicate", "Duplicate variant…"), ("rename", "Rename variant…"),
                ("remove", "Remove variant")],
    "layer": [("rename", "Rename layer…"), ("remove", "Remove layer")],
}


class StructureMixin:
    """Methods of MainWindow behind the tree's structure entries (each one undoable step)."""

    def ask_text(self, title: str, label: str, default: str = "") -> str | None:
        """A name from the user (None: cancelled); tests replace this."""
        text, ok = QInputDialog.getText(self, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def rename_to(self, path: tuple, new: str) -> None:
        """Rename the cue, variant or layer at ``path`` and keep it selected under its new name."""
        if self.edit(lambda p: rename(p, loc(path), new)) is not None:
            depth = 2 if path[2] else 1 if path[1] else 0
            self.tree.select_path(tuple(new if i == depth else x for i, x in enumerate(path)))

    def structure_action(self, key: str, path: tuple) -> None:
        where = loc(path)
        name = path[2] or path[1] or path[0]
        if key == "remove":
            self.edit(lambda p: remove(p, where))
            self.tree.select_path(path[:1] + (None, None) if path[2] is None else (path[0], path[1], None))
            return
        if key == "rename":
            new = self.ask_text("Rename", f"New name for {name}:", name)
            if new:
                self.rename_to(path, new)
            return
        label = {"add_variant": "variant", "duplicate": "variant", "add_layer": "layer"}[key]
        new = self.ask_text(f"New {label}", f"Name of the new {label}:")
        if not new:
            return
        if key == "add_layer":
            made = self.edit(lambda p: add_layer(p, loc((path[0], path[1], new))))
            target = (path[0], path[1], new)
        else:
            copy_from = path[1] if key == "duplicate" else None
            made = self.edit(lambda p: add_variant(p, loc((path[0], new)), copy_from=copy_from))
            target = (path[0], new, None)
        if made is not None:
            self.tree.select_path(target)
