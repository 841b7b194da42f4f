"""Subcommand: ``settings [NAME VALUE]`` shows or changes the user settings the CLI and the app share."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settings", help="show or change settings (cache and model folders, audio device, block size)",
                       description="Without arguments, list the settings and the file they live in "
                                   "($XDG_CONFIG_HOME/composer-assist/settings.json). With NAME VALUE, change one "
                                   "('none' returns it to the default). The cache and model folders apply to "
                                   "every command unless $COMPOSER_ASSIST_CACHE / $COMPOSER_ASSIST_MODELS say otherwise.")
    p.add_argument("name", nargs="?", help="cache_dir, model_dir, audio_device or block_size")
    p.add_argument("value", nargs="?", help="the new value, or none")
    p.set_defaults(func=run, skip_settings=True)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from composer_assist.services.settings import SettingsError, load_settings, settings_path, update_setting

    if args.name is not None:
        if args.value is None:
            raise SettingsError(f"{args.name}: give a value (or none for the default)")
        update_setting(args.name, args.value)
    print(f"settings ({settings_path()}):")
    for key, value in asdict(load_settings()).items():
        print(f"  {key:<13} {'(default)' if value is None else value}")
    return 0
