"""``composer-assist gui [PROJECT]`` and the ``composer-assist-gui`` entry point."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from composer_assist.core.errors import ComposerAssistError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", default=None, help="project folder or project.json to open")
    p.add_argument("--trace", default=None, help="an emotion trace to load (CSV or JSON)")
    p.add_argument("--profiles", default=None, help="listener profiles JSON or listener model to load")
    p.add_argument("--null", action="store_true", help="play on no device (the null output, paced in real time)")
    p.add_argument("--device", default=None, help="output device name or number (see `composer-assist devices`)")
    p.add_argument("--block", type=int, default=None,
                   help="frames per block (default: the block_size setting, else 512)")
    p.add_argument("--screenshot", metavar="DIR", default=None,
                   help="write PNGs of the window in each main state to DIR, then quit (needs PROJECT)")


def run(args: argparse.Namespace) -> int:
    """Open the studio (or write screenshots); returns the exit status."""
    from PyQt6.QtWidgets import QApplication

    from .transport import OutputSettings
    from .window import MainWindow

    if args.screenshot and not args.project:
        raise ComposerAssistError("--screenshot needs a PROJECT to show")
    _choose_platform(bool(args.screenshot))
    from composer_assist.services.settings import load_settings

    saved = load_settings()  # cache and model folders, device, block size (shared with the CLI)
    saved.apply_to_environment()
    _quiet_platform_notes()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Composer Assist Studio")
    window = MainWindow(OutputSettings(device=args.device or saved.audio_device, null=args.null or bool(args.screenshot),
                                       block=args.block or saved.block_size))
    window.show()
    if args.project and not window.open_project(args.project):
        raise ComposerAssistError(window.errors[-1] if window.errors else f"{args.project}: cannot open")
    if args.trace and not window.load_trace(args.trace):
        raise ComposerAssistError(window.errors[-1])
    if args.profiles and not window.load_profiles(args.profiles):
        raise ComposerAssistError(window.errors[-1])
    if args.screenshot:
        from .screenshots import take_screenshots

        for path in take_screenshots(window, Path(args.screenshot)):
            print(path)
        window.session.stack.setClean()
        window.close()
        return 0
    return app.exec()


def _choose_platform(screenshots: bool) -> None:
    """Without a display Qt aborts the process; screenshots need none (offscreen), a window does."""
    if os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    if screenshots:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    raise ComposerAssistError("no display to open the studio on (DISPLAY is not set): run it in a desktop "
                              "session, under Xvfb (xvfb-run composer-assist gui ...), or with --screenshot DIR")


def main(argv: list[str] | None = None) -> int:
    """The ``composer-assist-gui`` entry point."""
    parser = argparse.ArgumentParser(prog="composer-assist-gui", description="The Composer Assist studio.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ComposerAssistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())


# What Qt's offscreen platform says on every window it shows (it cannot pass size hints to a
# window system it does not have): noise to a user, who can do nothing about it.
PLATFORM_NOTES = ("does not support propagateSizeHints",)


def _quiet_platform_notes() -> None:
    """Qt's messages reach stderr as before, less the offscreen platform's known notes."""
    from PyQt6.QtCore import QtMsgType, qInstallMessageHandler

    previous = None

    def handler(kind, context, message: str) -> None:
        if kind == QtMsgType.QtWarningMsg and any(n in message for n in PLATFORM_NOTES):
            return
        if previous is not None:  # a handler someone installed before (a test harness) keeps its say
            previous(kind, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)
