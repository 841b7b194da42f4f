"""Subcommands: ``plugins scan`` lists every plugin found, ``plugins info NAME`` its parameters,
``plugins save-state`` writes a VST state file for a project's ``state`` field."""

from __future__ import annotations

import argparse
from pathlib import Path

from composer_assist.cli.render_cmd import positive_int, positive_seconds


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plugins", help="find plugins and show their parameters",
                       description="Scan the built-in Faust instruments and VST2/VST3 folders "
                                   "(VST_PATH/VST3_PATH add folders); each plugin is probed in its "
                                   "own worker process, results are cached.")
    ps = p.add_subparsers(dest="plugins_command", metavar="ACTION")
    s = ps.add_parser("scan", help="find and probe plugins (cached by path, mtime and size)")
    s.add_argument("--rescan", action="store_true", help="probe every plugin again, ignoring the cache")
    s.add_argument("--jobs", type=positive_int, default=2, help="probe processes in parallel (default 2)")
    s.add_argument("--timeout", type=positive_seconds, default=30.0, help="seconds before a plugin counts as hung (default 30)")
    s.add_argument("--failed", action="store_true", help="list only plugins that failed to load")
    s.set_defaults(func=run_scan)
    i = ps.add_parser("info", help="list a plugin's parameters")
    i.add_argument("name", help="Faust id, VST file name (amsynth_vst.so), path or display name")
    i.set_defaults(func=run_info)
    st = ps.add_parser("save-state", help="save a VST's state to a file (for a layer's \"state\")")
    st.add_argument("name", help="VST file name or path")
    st.add_argument("out", help="state file to write (beside the project)")
    st.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                    help="set a parameter (normalised 0..1) before saving; repeatable")
    st.add_argument("--from", dest="source", default=None, help="start from this state file")
    st.set_defaults(func=run_save_state)
    t = ps.add_parser("trust", help="let a plugin outside the plugin folders run (e.g. one shipped in a project)",
                      description="A plugin is code: one that comes inside a downloaded project runs only once "
                                  "you trust it. The decision is remembered with the file's SHA-256, so a "
                                  "plugin changed afterwards must be trusted again.")
    t.add_argument("path", help="the plugin file or bundle (.so, .vst3, .dsp)")
    t.add_argument("--remove", action="store_true", help="forget the decision instead")
    t.set_defaults(func=run_trust)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def run_scan(args: argparse.Namespace) -> int:
    from composer_assist.audio.scan import cache_dir, scan_plugins
    from composer_assist.cli.progress import progress_bar

    with progress_bar("scan plugins", unit="plugin") as progress:
        result = scan_plugins(rescan=args.rescan, jobs=args.jobs, timeout=args.timeout, progress=progress)
    rows = [p for p in result.plugins if not args.failed or not p.ok]
    width = max([len(p.ref) for p in rows] + [6])
    print(f"{'plugin':<{width}}  {'format':<6} {'kind':<10} {'in':>3} {'out':>3} {'params':>6}  status")
    for p in rows:
        status = "ok" if p.ok else f"FAILED: {p.error}"
        if p.note:
            status += f" ({p.note})"
        print(f"{p.ref:<{width}}  {p.format:<6} {p.kind or '-':<10} {p.inputs:>3} {p.outputs:>3} "
              f"{len(p.params):>6}  {status}")
    if result.skipped:
        # Named with the reason: a plugin the user expected may be among them (a broken build, a
        # file that is not a VST2 at all).
        print(f"\nskipped, not VST2 plugins ({len(result.skipped)}):")
        for path, why in result.skipped.items():
            print(f"  {path}: {why}")
    failed = sum(not p.ok for p in result.plugins)
    print(f"\n{len(result.plugins)} plugins ({failed} failed), {result.probed} probed now, "
          f"{len(result.plugins) - result.probed} from the cache {cache_dir() / 'plugins.json'}"
          + (f"; {len(result.skipped)} skipped" if result.skipped else ""))
    return 0


def run_info(args: argparse.Namespace) -> int:
    from composer_assist.audio.plugins import probe_plugin
    from composer_assist.audio.scan import find_plugin, scan_plugins
    from composer_assist.core.errors import PluginError

    from composer_assist.audio.scan import cached_plugins
    from composer_assist.core.plugins.paths import resolve_plugin

    try:  # cheapest first: the scan cache, then a file the resolver finds, then a full scan
        info = find_plugin(args.name, cached_plugins())
    except PluginError:
        try:
            resolve_plugin(args.name, Path.cwd())
        except PluginError:
            info = find_plugin(args.name, scan_plugins().plugins)
        else:
            info = probe_plugin(args.name, Path.cwd())
    print(f"{info.name}  ({info.format}, {info.kind or 'unknown kind'}, {info.inputs} in / {info.outputs} out)")
    print(f"path: {info.path}")
    print(f"use in a project as: \"plugin\": \"{info.ref}\"")
    if not info.ok:
        print(f"FAILED to load: {info.error}")
        return 1
    if info.note:
        print(f"note: {info.note}")
    if not info.params:
        print("no parameters")
        return 0
    rows = [(p["name"], _param_range(p), _param_value(p, p["default"]), _param_value(p, p["value"]))
            for p in info.params]
    heads = ("parameter", "range", "default", "current")
    widths = [max(len(r[k]) for r in rows + [heads]) for k in range(3)]
    if info.format != "faust":
        print("\nVST values are normalised 0..1; the plugin's own units in brackets. A fresh instance's "
              "values are its defaults.")
    print()
    for row in [heads] + rows:
        print("  ".join(f"{c:<{w}}" for c, w in zip(row, widths)) + "  " + row[3])
    return 0


def _param_range(p: dict) -> str:
    unit = p.get("unit", "")
    if "min_text" in p:  # a VST: 0..1 and what the plugin displays at both ends
        return f"0 .. 1 ({_with_unit(p['min_text'], unit)} .. {_with_unit(p['max_text'], unit)})"
    return _with_unit(f"{p['min']:g} .. {p['max']:g}", unit)


def _param_value(p: dict, value: float) -> str:
    unit = p.get("unit", "")
    # The plugin's text is that of the current value (for a VST, also its default: see host.params).
    text = p.get("text", "") if value == p["value"] else ""
    return f"{value:.4g} ({_with_unit(text, unit)})" if text else _with_unit(f"{value:.4g}", unit)


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit and text else text


def run_save_state(args: argparse.Namespace) -> int:
    from composer_assist.audio.plugins import save_plugin_state
    from composer_assist.core.errors import PluginError

    params = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        try:
            params[name] = float(value)
        except ValueError:
            raise PluginError(f"--set {item!r}: expected PARAM=NUMBER") from None
        if not sep:
            raise PluginError(f"--set {item!r}: expected PARAM=NUMBER")
    out = save_plugin_state(args.name, Path(args.out), params, Path(args.source) if args.source else None,
                            Path.cwd())
    print(f"saved {args.name} state to {out}")
    return 0


def run_trust(args: argparse.Namespace) -> int:
    from composer_assist.core.plugins.trust import in_plugin_folders, trust, trust_file, untrust

    if args.remove:
        print(f"{args.path}: " + ("no longer trusted" if untrust(args.path) else "was not trusted"))
        return 0
    if in_plugin_folders(Path(args.path)):
        print(f"{args.path}: in a plugin folder, it runs without being trusted")
        return 0
    path = trust(args.path)
    print(f"trusted {path} (remembered in {trust_file()})")
    return 0
