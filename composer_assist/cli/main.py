"""The ``composer-assist`` console script: subcommands registered by the modules in this package."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from composer_assist import __version__
from composer_assist.core.errors import ComposerAssistError

# Each module defines ``register(subparsers)`` adding its subcommands; a subcommand's parser
# carries ``func(args) -> int``.  Imports inside the commands stay lazy so --help is instant.
COMMAND_MODULES = ["demo_cmd", "plugins_cmd", "render_cmd", "midi_cmd", "project_cmd", "trace_cmd", "adapt_cmd",
                   "play_cmd", "devices_cmd", "learn_cmd", "coverage_cmd", "evaluate_cmd", "edit_cmd",
                   "show_cmd", "clip_cmd", "settings_cmd",
                   "package_cmd", "privacy_cmd", "gui_cmd"]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``error:`` line (as every other error), not the usage
    block first; subcommands' parsers are made of this class too."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="composer-assist",
        description="Adaptive-score studio: render emotion-tagged cues with real plugins, adapt them "
                    "to viewer emotion traces, learn listener preference clusters.")
    parser.add_argument("--version", action="version", version=f"composer-assist {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"composer_assist.cli.{name}").register(sub)
    return parser


def _interrupt(signum: int, _frame) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _printable_streams() -> None:
    """Text this program prints that the terminal cannot encode (a lone surrogate JSON let into a
    name) comes out escaped, instead of a UnicodeEncodeError halfway through a report."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    _printable_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    # SIGTERM/SIGHUP end the command like Ctrl-C, so worker processes and temp folders are cleaned up.
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) == signal.SIG_DFL:
                previous[sig] = signal.signal(sig, _interrupt)
    try:
        if not getattr(args, "skip_settings", False):
            from composer_assist.services.settings import load_settings

            load_settings().apply_to_environment()  # the cache and model folders the user chose
        return int(args.func(args) or 0)
    except ComposerAssistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        # Say what was done before the interrupt: a save that had completed is not undone
        # (core.atomic adds a note such as "project.json: saved ..." when the rename had happened).
        for note in getattr(exc, "__notes__", ()):
            print(note, file=sys.stderr)
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        # A file system refusal no check foresaw (disk full, permission denied): one line, no traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
