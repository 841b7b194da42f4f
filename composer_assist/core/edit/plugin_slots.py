"""A layer's instrument, effect chain and plugin parameters, checked when the edit is made.

Faust parameters are checked against the ``.json`` beside the ``.dsp`` (as ``plugin_check`` does);
VST parameters against the plugin scan's cache (``composer-assist plugins scan``): the name must be
one the plugin reported, the value inside its range (VST values are normalised 0..1).  Nothing is
loaded here; pass ``scan`` (``read_scan_cache()``) to check many edits against one reading.
"""

from __future__ import annotations

from ..errors import PluginError
from ..plugins.meta import faust_meta
from ..plugins.paths import ResolvedPlugin, resolve_plugin
from ..plugins.scan_cache import read_scan_cache, scanned_entry
from ..project.model import Layer, PluginRef, Project
from ..project.plugin_check import check_params
from ..suggest import did_you_mean
from .base import EditError, Loc, SetAttr, find_layer

Slot = str | int  # "instrument", or the index of an effect
SCAN_HINT = "run 'composer-assist plugins scan'"


def slot_name(slot: Slot) -> str:
    return "instrument" if slot == "instrument" else f"effects[{slot}]"


def _resolve(project: Project, ref: str, where: str) -> ResolvedPlugin:
    try:
        return resolve_plugin(ref, project.folder)
    except PluginError as exc:
        raise EditError(f"{where}: {exc}") from None


def _scan_entry(resolved: ResolvedPlugin, scan: dict[str, dict] | None) -> dict | None:
    return scanned_entry(resolved.path, read_scan_cache() if scan is None else scan)


def plugin_kind_of(resolved: ResolvedPlugin, scan: dict[str, dict] | None = None) -> str | None:
    """'instrument' or 'effect' as the plugin's metadata or the scan says; None when unknown."""
    if resolved.kind == "faust":
        try:
            return faust_meta(resolved.path)["kind"]
        except PluginError:
            return None
    entry = _scan_entry(resolved, scan)
    return (entry or {}).get("kind") or None


def check_plugin_role(project: Project, ref: str, role: str, where: str,
                      scan: dict[str, dict] | None = None) -> ResolvedPlugin:
    """``ref`` resolves, and (when known) is an instrument for an instrument slot, an effect for an effect."""
    resolved = _resolve(project, ref, where)
    if resolved.kind != "faust":
        entry = _scan_entry(resolved, scan)
        if entry is not None and not entry.get("ok", True):
            raise EditError(f"{where}: {ref} failed to load when scanned: {entry.get('error')}")
    kind = plugin_kind_of(resolved, scan)
    if kind is not None and kind != role:
        why = ""
        if resolved.kind == "faust" and not resolved.path.with_suffix(".json").exists():
            why = (f" (there is no {resolved.path.with_suffix('.json').name} beside it: a Faust dsp without "
                   f"metadata is taken for an instrument; write one with \"kind\": \"effect\", see plugins/README.md)")
        raise EditError(f"{where}: {ref} is an {kind}, not an {role}{why}")
    return resolved


def check_param(project: Project, ref: PluginRef, name: str, value: float, where: str,
                scan: dict[str, dict] | None = None) -> None:
    """Refuse a parameter the plugin lacks or a value outside its range; ``where`` names the field."""
    resolved = _resolve(project, ref.plugin, where)
    if resolved.kind == "faust":
        try:
            check_params(PluginRef(ref.plugin, {name: value}), resolved)
        except PluginError as exc:
            raise EditError(f"{where}: {str(exc).partition(': ')[2] or exc}") from None
        return
    entry = _scan_entry(resolved, scan)
    if entry is None:
        raise EditError(f"{where}: {resolved.name} has not been scanned, so its parameters are unknown; "
                        f"{SCAN_HINT}")
    specs = {p["name"]: p for p in entry.get("params", []) if isinstance(p, dict) and "name" in p}
    spec = specs.get(name)
    if spec is None:
        shown = ", ".join(list(specs)[:12]) + (f", ... ({len(specs)} in all)" if len(specs) > 12 else "")
        raise EditError(f"{where}: {resolved.name} has no parameter {name!r}; {did_you_mean(name, specs)}"
                        f"its parameters: {shown or 'none'} ('composer-assist plugins info {ref.plugin}')")
    lo, hi = float(spec.get("min", 0.0)), float(spec.get("max", 1.0))
    if not lo <= value <= hi:
        texts = f" (shown as {spec['min_text']} .. {spec['max_text']})" if "min_text" in spec else ""
        raise EditError(f"{where}: {value:g} is outside [{lo:g}, {hi:g}]: VST parameter values are normalised"
                        f"{texts}")


def _ref(layer: Layer, slot: Slot, loc: Loc) -> PluginRef:
    if slot == "instrument":
        return layer.instrument
    if not isinstance(slot, int) or not 0 <= slot < len(layer.effects):
        raise EditError(f"{loc}.effects[{slot}]: the layer has {len(layer.effects)} effect"
                        f"{'s' * (len(layer.effects) != 1)} (effects[0] .. effects[{len(layer.effects) - 1}])"
                        if layer.effects else f"{loc}.effects[{slot}]: the layer has no effects")
    return layer.effects[slot]


def set_instrument(project: Project, loc: Loc, ref: str, scan: dict[str, dict] | None = None) -> SetAttr:
    """Play the layer with another plugin (its parameters and state belonged to the old one)."""
    layer = find_layer(project, loc)
    check_plugin_role(project, ref, "instrument", f"{loc}.instrument", scan)
    new = PluginRef(ref, extra=dict(layer.instrument.extra)) if ref != layer.instrument.plugin else layer.instrument
    return SetAttr(loc, ("instrument",), new, text=f"{loc}: instrument {ref}").checked(project)  # type: ignore


def set_effects(project: Project, loc: Loc, refs: list[str], scan: dict[str, dict] | None = None) -> SetAttr:
    """The layer's effect chain, in order; an effect kept at its place keeps its parameters."""
    layer = find_layer(project, loc)
    chain = []
    for i, ref in enumerate(refs):
        check_plugin_role(project, ref, "effect", f"{loc}.effects[{i}]", scan)
        old = layer.effects[i] if i < len(layer.effects) else None
        chain.append(old if old is not None and old.plugin == ref else PluginRef(ref))
    label = ", ".join(refs) or "none"
    return SetAttr(loc, ("effects",), chain, text=f"{loc}: effects {label}").checked(project)  # type: ignore


def set_param(project: Project, loc: Loc, slot: Slot, name: str, value: float | None,
              scan: dict[str, dict] | None = None) -> SetAttr:
    """Set a parameter of the layer's instrument or effect ``slot``; ``None`` returns it to the plugin's default."""
    layer = find_layer(project, loc)
    ref = _ref(layer, slot, loc)
    where = f"{loc}.{slot_name(slot)}.params.{name}"
    params = dict(ref.params)
    if value is None:
        if name not in params:
            raise EditError(f"{where}: is not set (set parameters: {', '.join(params) or 'none'})")
        del params[name]
    else:
        check_param(project, ref, name, value, where, scan)
        params[name] = float(value)
    steps = ("instrument", "params") if slot == "instrument" else ("effects", slot, "params")
    shown = "default" if value is None else f"{value:g}"
    return SetAttr(loc, steps, params, text=f"{where} = {shown}").checked(project)  # type: ignore


def check_against_scan(project: Project, uses: list, scan: dict[str, dict] | None = None) -> list[str]:
    """Check every slot of ``uses`` (``check_plugins``' answer) as an edit would: roles, and VST
    parameters against the scan.  Raises ``EditError`` naming the edit path; returns the VSTs with
    parameters set that were never scanned (their parameters could not be checked)."""
    from .base import edit_path

    scan = read_scan_cache() if scan is None else scan
    unscanned: list[str] = []
    for use in uses:
        where = edit_path(project, use.where)
        role = "effect" if ".effects[" in use.where else "instrument"
        check_plugin_role(project, use.ref.plugin, role, where, scan)
        if use.resolved.kind == "faust" or not use.ref.params:
            continue
        if scanned_entry(use.resolved.path, scan) is None:
            unscanned.append(use.resolved.name)
            continue
        for name, value in use.ref.params.items():
            check_param(project, use.ref, name, value, f"{where}.params.{name}", scan)
    return sorted(set(unscanned))


def plugin_params(project: Project, ref: str, scan: dict[str, dict] | None = None) -> list[dict] | None:
    """The parameters ``ref`` takes (name, min, max, default, unit; VSTs also min_text/max_text), for an
    inspector's sliders: from the Faust metadata or the scan; None when unknown (a VST not scanned)."""
    resolved = _resolve(project, ref, ref)
    if resolved.kind == "faust":
        try:
            params = faust_meta(resolved.path)["params"]
        except PluginError as exc:
            raise EditError(f"{ref}: {exc}") from None
        return [{"name": k, **v} for k, v in params.items()]
    entry = _scan_entry(resolved, scan)
    if entry is None:
        return None
    keys = ("name", "min", "max", "default", "unit", "min_text", "max_text")
    return [{k: p[k] for k in keys if k in p} for p in entry.get("params", []) if isinstance(p, dict)]
