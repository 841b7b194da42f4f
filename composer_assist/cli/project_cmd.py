"""Subcommand: ``validate`` checks a project and says what it would load."""

from __future__ import annotations

import argparse

from composer_assist.core.errors import ComposerAssistError, ProjectError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a project (every field, clip file and plugin) or a cue package",
                       description="Read PROJECT, check every field and clip file, resolve every plugin and "
                                   "check Faust parameters against the plugin's metadata, then list the "
                                   "plugins a render would load (and which lie outside the plugin folders, "
                                   "trusted or not). Instruments and effects must sit in the right slots, and VST "
                                   "parameters are checked against the plugin scan (composer-assist plugins scan). Exit status 2 with one line naming the file and field on the "
                                   "first problem. Given a cue package (a folder with manifest.json, or a .zip), check its schema, "
                                   "references, sizes and SHA-256 checksums, and refuse unsafe paths, symlinks and "
                                   "zip bombs, without extracting anything (docs/packages.md).")
    p.add_argument("project", help="project folder or project.json, or a package folder or zip")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from composer_assist.package.check import is_package

    if is_package(args.project):
        return _run_package(args.project)
    from pathlib import Path

    folder = Path(args.project)
    if not folder.exists():  # it may have meant either; "no such project file" misled for a .zip
        what = "cue package" if folder.suffix.lower() == ".zip" else "project or cue package"
        raise ProjectError(f"{folder}: no such {what}")
    if folder.is_dir() and not (folder / "project.json").exists() and (folder / "stems").is_dir():
        # a package that lost its manifest reads as neither: say what is missing for each
        raise ProjectError(f"{folder}: neither a project (no project.json) nor a cue package (no manifest.json)")
    from composer_assist.core.edit.base import edit_path
    from composer_assist.core.edit.plugin_slots import check_against_scan
    from composer_assist.core.plugins.trust import in_plugin_folders, is_trusted
    from composer_assist.core.project import check_plugins, load_project

    project = load_project(args.project)
    uses = check_plugins(project, require_trust=False)
    try:
        unscanned = check_against_scan(project, uses)
    except ComposerAssistError as exc:
        raise ProjectError(f"{project.path}: {exc}") from None
    n_var = sum(len(c.variants) for c in project.cues)
    n_layers = sum(len(v.layers) for c in project.cues for v in c.variants)
    print(f"{project.path}: valid ({len(project.cues)} cue{'s' * (len(project.cues) != 1)}, {n_var} variants, "
          f"{n_layers} layers)")
    by_path: dict[str, list] = {}
    for u in uses:
        by_path.setdefault(str(u.resolved.path), []).append(u)
    print(f"plugins a render would load ({len(by_path)}):")
    untrusted = 0
    for path, group in sorted(by_path.items()):
        u = group[0]
        where = ""
        if not in_plugin_folders(u.resolved.path):
            trusted = is_trusted(u.resolved.path)
            untrusted += not trusted
            where = " (outside the plugin folders: " + ("trusted)" if trusted else "NOT trusted)")
        print(f"  {u.resolved.kind:<5} {path}{where}: {len(group)} slot{'s' * (len(group) != 1)}, "
              f"first {edit_path(project, u.where)}")
    if unscanned:
        print(f"not scanned, so their parameters were not checked: {', '.join(unscanned)} "
              "(composer-assist plugins scan)")
    if untrusted:
        print(f"{untrusted} plugin{'s' * (untrusted != 1)} would not run until trusted: "
              "composer-assist plugins trust PATH (a plugin is code: trust only what you know)")
    return 0


def _run_package(path: str) -> int:
    from composer_assist.package.check import check_package

    s = check_package(path)
    m = s.manifest
    print(f"{path}: valid cue package (format {m.format_version}, cue {m.cue.name!r}, {len(m.variants)} variants, "
          f"{s.files} files, {s.bytes} bytes checked)")
    return 0
