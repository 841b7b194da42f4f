"""``composer-assist gui``: the studio app (PyQt6; see docs/studio.md)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from composer_assist.app.main import add_arguments  # no Qt at import: --help stays quick

    p = sub.add_parser("gui", help="open the studio: edit a project, preview it adapting to a trace",
                       description="Open the Composer Assist studio (a Qt app; see docs/studio.md).")
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from composer_assist.app.main import run as run_app

    return run_app(args)
