"""Subcommand: ``privacy PKG|MODEL|PROFILES.json`` -- what a package or model holds about people."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("privacy", help="what a package or listener model holds about people, and what the "
                                       "runtime reads and sends",
                       description="List every field of a cue package, listener model or exported profiles "
                                   "file that could describe a person (none should), the number of listeners k "
                                   "in each cluster, what the reference runtime reads and what it sends "
                                   "(nothing). Exit status 0 when nothing describes a person, 1 when something "
                                   "does. See README (Privacy).")
    p.add_argument("target", help="package folder or .zip, model .npz or name in the store, or profiles .json")
    p.add_argument("--ids", metavar="LOG", default=None,
                   help="also search every byte of every file (zip members unpacked) for each listener id of "
                        "this feedback log")
    p.add_argument("--store", default=None, help="model store (for a model given by name)")
    p.add_argument("--project", default=None, help="project whose models/ is the store")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from composer_assist.services.privacy import privacy_report

    ids = None
    if args.ids is not None:
        from composer_assist.learn.feedback_log import load_feedback_log

        ids = load_feedback_log(args.ids).listener_ids
    report = privacy_report(args.target, args.store, args.project, ids)
    print("\n".join(report.lines()))
    if ids is not None:
        print(f"(searched for {len(ids)} listener ids of {args.ids})")
    return 0 if report.clean else 1
