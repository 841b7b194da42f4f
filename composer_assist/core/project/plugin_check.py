"""Checking a project against its plugins: every reference resolves, Faust parameters exist and fit.

A separate step from loading (``render``, ``validate`` and the editor run it) so that a project
opens on a machine that lacks some of its plugins.  Reads plugin files and metadata JSON only:
nothing here loads or runs a plugin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from ..errors import PluginError, ProjectError
from ..plugins.meta import faust_meta
from ..plugins.paths import ResolvedPlugin, resolve_plugin
from ..plugins.trust import is_trusted
from ..suggest import did_you_mean
from .model import Layer, PluginRef, Project


@dataclass(frozen=True)
class PluginUse:
    """One plugin slot of a project: where it is (a field path), what it names, what it resolves to."""

    where: str  # e.g. "cues[0].variants[1].layers[2].effects[0]"
    ref: PluginRef
    resolved: ResolvedPlugin


def plugin_slots(project: Project) -> Iterator[tuple[str, PluginRef]]:
    """Every instrument and effect of the project with its field path."""
    for ci, cue in enumerate(project.cues):
        groups = [(f"cues[{ci}].variants[{vi}].layers", v.layers) for vi, v in enumerate(cue.variants)]
        groups.append((f"cues[{ci}].stingers", cue.stingers))
        for prefix, layers in groups:
            for li, layer in enumerate(layers):
                yield from _layer_slots(f"{prefix}[{li}]", layer)


def _layer_slots(where: str, layer: Layer) -> Iterator[tuple[str, PluginRef]]:
    yield f"{where}.instrument", layer.instrument
    for ei, fx in enumerate(layer.effects):
        yield f"{where}.effects[{ei}]", fx


def check_params(ref: PluginRef, resolved: ResolvedPlugin) -> None:
    """Refuse parameters a Faust plugin does not have, or values outside its range.

    VST parameters are checked when the plugin is loaded (their names come from the plugin itself).
    """
    if resolved.kind != "faust":
        return
    known = faust_meta(resolved.path)["params"]
    if not known:
        return
    for name, value in ref.params.items():
        spec = known.get(name)
        if spec is None:
            raise PluginError(f"params.{name}: {resolved.name} has no parameter {name!r}; "
                              f"{did_you_mean(name, known)}its parameters: {', '.join(known)}")
        if not spec["min"] <= value <= spec["max"]:
            raise PluginError(f"params.{name}: {value:g} is outside [{spec['min']:g}, {spec['max']:g}]")


def check_plugins(project: Project, require_trust: bool = True) -> list[PluginUse]:
    """Resolve every plugin of ``project`` and check its parameters; errors name the field.

    With ``require_trust`` (what rendering asks), a plugin outside the plugin folders that the
    user has not trusted is refused, naming it and how to trust it.
    """
    source = str(project.path) if project.path is not None else project.name
    uses = []
    for where, ref in plugin_slots(project):
        try:
            resolved = resolve_plugin(ref.plugin, project.folder)
            check_params(ref, resolved)
        except PluginError as exc:
            raise ProjectError(f"{source}: {where}.{_field(exc)}") from None
        uses.append(PluginUse(where, ref, resolved))
    if require_trust:
        refused = sorted({str(u.resolved.path) for u in uses if not is_trusted(u.resolved.path)})
        if refused:
            first = next(u for u in uses if str(u.resolved.path) == refused[0])
            raise PluginError(f"{source}: {first.where}: {refused[0]} is not in a plugin folder and has not been "
                              f"trusted: a plugin is code, so it runs only once you trust it "
                              f"(composer-assist plugins trust {refused[0]})"
                              + (f"; {len(refused) - 1} more untrusted" if len(refused) > 1 else ""))
    return uses


def _field(exc: PluginError) -> str:
    text = str(exc)
    return text if text.startswith("params.") else f"plugin: {text}"


