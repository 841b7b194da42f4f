"""Subcommands: learn generate | fit | report | assign | export-profiles (listener preference clusters)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``learn`` and its subcommands."""
    p = sub.add_parser("learn", help="learn listener preference clusters from feedback logs",
                       description="Learn listener taste clusters from feedback logs (see docs/listeners.md).")
    lsub = p.add_subparsers(dest="learn_command", metavar="ACTION")

    def store_args(q: argparse.ArgumentParser) -> None:
        q.add_argument("--store", help="model store folder (default: PROJECT/models with --project, else "
                                       "$COMPOSER_ASSIST_MODELS or $XDG_DATA_HOME/composer-assist/models, "
                                       "~/.local/share/composer-assist/models by default)")
        q.add_argument("--project", help="project folder or project.json (variants, and PROJECT/models as store)")

    g = lsub.add_parser("generate", help="write a SYNTHETIC listener population with planted clusters")
    g.add_argument("-o", "--output", required=True, help="output folder")
    g.add_argument("--listeners", type=int, default=2000)
    g.add_argument("--events-per-listener", type=int, default=30)
    g.add_argument("--clusters", type=int, default=4, help="planted clusters (1..5)")
    g.add_argument("--seed", type=int, default=0, help="random seed, 0..4294967295")
    g.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    g.add_argument("--project", help="take the variants from this project's cue")
    g.add_argument("--cue", help="cue of --project (default: every cue)")
    g.add_argument("--force", action="store_true",
                   help="replace files in the output folder that learn generate did not write itself (a real "
                        "feedback log there is lost)")
    g.set_defaults(func=cmd_generate)

    f = lsub.add_parser("fit", help="fit a preference model on a feedback log and save it in the store")
    f.add_argument("log", help="feedback log (.csv or .jsonl)")
    f.add_argument("-o", "--output", required=True, help="model name (or a path inside the store)")
    store_args(f)
    f.add_argument("--cue", help="only this cue's variants (with --project)")
    f.add_argument("--variants", help="variants.json catalog (default: beside the log, else built-in)")
    f.add_argument("--planted", help="planted.csv to score against (default: beside the log, if present)")
    f.add_argument("--clusters", default="auto", help="number of clusters or 'auto' (default)")
    f.add_argument("--max-clusters", type=int, default=8)
    f.add_argument("--method", choices=("gmm", "kmeans", "minibatch"), default="gmm")
    f.add_argument("--holdout", type=float, default=0.2,
                   help="share of each listener's latest events held out for quality figures (0: fit on all)")
    f.add_argument("--seed", type=int, default=0, help="random seed, 0..4294967295 (default 0)")
    min_size_arg(f)
    f.add_argument("--pseudonymise", action="store_true",
                   help="replace listener ids by a keyed hash (HMAC-SHA256) as the log is read, before fitting")
    f.add_argument("--key-file", help="the pseudonym key (default: $COMPOSER_ASSIST_PSEUDONYM_KEY)")
    f.set_defaults(func=cmd_fit)

    r = lsub.add_parser("report", help="clusters, profiles in words, quality figures and a PNG")
    r.add_argument("model")
    store_args(r)
    r.add_argument("--png", help="where to write the picture (default: beside the model in the store)")
    r.set_defaults(func=cmd_report)

    a = lsub.add_parser("assign", help="assign listeners to clusters from their feedback events")
    a.add_argument("model")
    a.add_argument("--events", required=True, help="events (.csv or .jsonl, the log format)")
    a.add_argument("--listener", help="only this listener")
    store_args(a)
    a.set_defaults(func=cmd_assign)

    e = lsub.add_parser("export-profiles", help="write the cluster profiles and assignment tables as JSON",
                        description="Write the profiles (for adapt --profiles) and the tables that assign a "
                                    "listener from their events (learn.tables.assign_from_export) as one JSON "
                                    "file, usable without the model file.")
    e.add_argument("model")
    e.add_argument("-o", "--output", required=True, help="PROFILES.json")
    store_args(e)
    min_size_arg(e)
    e.set_defaults(func=cmd_export)
    p.set_defaults(func=lambda _a: (p.print_help(), 1)[1])


def min_size_arg(q: argparse.ArgumentParser) -> None:
    """``--min-cluster-size K`` (default 50): smaller clusters are merged into their nearest."""
    q.add_argument("--min-cluster-size", type=int, default=50, metavar="K",
                   help="clusters of fewer than K listeners are merged into their nearest before anything is "
                        "saved or exported (default 50; 1 keeps every cluster)")


def _store(args: argparse.Namespace):
    from composer_assist.learn.store import ModelStore, default_store_dir

    return ModelStore(args.store if args.store else default_store_dir(args.project))


def _check_seed(seed: int) -> None:
    # numpy and scikit-learn take seeds 0..2**32-1 and fail with a traceback on anything else
    from composer_assist.core.errors import FeedbackError

    if not 0 <= seed < 2**32:
        raise FeedbackError(f"--seed: {seed} is outside 0..{2**32 - 1}")


def cmd_generate(args: argparse.Namespace) -> int:
    from composer_assist.learn.catalog import catalog_from_project
    from composer_assist.learn.population import check_population_folder, generate_population, write_population

    _check_seed(args.seed)
    check_population_folder(args.output, args.format, args.force)  # before the work, not after it
    catalog = catalog_from_project(args.project, args.cue) if args.project else None
    pop = generate_population(args.listeners, args.events_per_listener, args.seed, catalog, args.clusters)
    paths = write_population(pop, args.output, args.format, args.seed, args.force)
    counts = ", ".join(f"{lab} {n}" for lab, n in zip(pop.labels, __import__("numpy").bincount(
        pop.planted, minlength=len(pop.labels)).tolist()))
    print(f"wrote SYNTHETIC population: {pop.log.n_listeners} listeners, {len(pop.log)} events -> {paths['log']}")
    print(f"planted clusters: {counts} ({paths['planted']})")
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from composer_assist.learn.evaluate import evaluate
    from composer_assist.learn.model import ListenerPreferenceModel
    from composer_assist.learn.report import text_report

    from composer_assist.learn.min_size import check_min_size, merge_small_clusters

    clusters = _fit_clusters(args)
    min_size = check_min_size(args.min_cluster_size)
    store = _store(args)
    from composer_assist.core.atomic import check_output_file
    from composer_assist.core.errors import ModelStoreError

    # refuse an output outside the store, or one that cannot be written, before the work
    check_output_file(store.path_for(args.output), ModelStoreError, "model file")
    bar = tqdm(total=6 + (args.max_clusters if clusters == "auto" else 1), desc="learn fit", unit="step",
               file=sys.stderr, leave=False, disable=None)  # None: quiet when stderr is not a terminal

    def say(msg: str) -> None:
        bar.set_postfix_str(msg)
        bar.update(1)

    try:
        say("loading log")
        log, catalog, planted = _fit_inputs(args)
        say("splitting")
        split = _fit_split(args, log, clusters)
        model = ListenerPreferenceModel(n_clusters=clusters, max_clusters=args.max_clusters, method=args.method,
                                        catalog=catalog, random_state=args.seed)
        model.fit(split.train, progress=say)
        notes = merge_small_clusters(model, min_size)  # before the figures: they describe what is saved
        say("evaluating")
        # quality figures describe this fit; they go into the saved metadata, not onto the estimator
        quality = evaluate(model, split, planted)
        say("saving")
        path = store.save(model, args.output, extra={"quality": quality}, min_cluster_size=min_size)
    finally:
        bar.close()
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(text_report(model, {"quality": quality}))
    print(f"\nsaved {path}")
    return 0


def _fit_clusters(args: argparse.Namespace) -> int | str:
    """``--clusters`` as a number or "auto", after checking every numeric option of ``learn fit``."""
    from composer_assist.core.errors import FeedbackError

    if args.clusters != "auto":
        try:
            clusters: int | str = int(args.clusters)
        except ValueError:
            raise FeedbackError(f"--clusters: {args.clusters!r} is neither a number nor 'auto'") from None
    else:
        clusters = "auto"
    from composer_assist.learn.model import MAX_CLUSTERS

    if clusters != "auto" and clusters < 1:
        raise FeedbackError(f"--clusters: {clusters} must be at least 1 (or 'auto')")
    if clusters != "auto" and clusters > MAX_CLUSTERS:
        raise FeedbackError(f"--clusters: {clusters} is more than the {MAX_CLUSTERS} clusters a model may have")
    if args.max_clusters < 1:
        raise FeedbackError(f"--max-clusters: {args.max_clusters} must be at least 1")
    if args.max_clusters > MAX_CLUSTERS:
        raise FeedbackError(f"--max-clusters: {args.max_clusters} is more than the {MAX_CLUSTERS} clusters a "
                            f"model may have")
    if not 0.0 <= args.holdout < 1.0:
        raise FeedbackError(f"--holdout: {args.holdout} is outside [0, 1)")
    _check_seed(args.seed)
    return clusters


def _fit_inputs(args: argparse.Namespace):
    """(log, variant catalog, planted cluster per listener id or None) for ``learn fit``."""
    from composer_assist.core.errors import FeedbackError
    from composer_assist.learn.catalog import catalog_from_project, default_catalog, load_catalog
    from composer_assist.learn.feedback_log import load_feedback_log
    from composer_assist.learn.population import load_planted, read_catalog_beside

    log = load_feedback_log(args.log)
    raw_ids = log.listener_ids
    if args.pseudonymise:
        from composer_assist.learn.pseudonym import load_key, pseudonymise_log

        log = pseudonymise_log(log, load_key(args.key_file))
    elif args.key_file:
        raise FeedbackError("--key-file: given without --pseudonymise")
    if args.project:
        catalog = catalog_from_project(args.project, args.cue)
    elif args.variants:
        catalog = load_catalog(args.variants)
    else:
        catalog = read_catalog_beside(args.log) or default_catalog()
    catalog.index_of_rows(log)  # unknown cue / variant ids fail here, naming lines
    planted_path = Path(args.planted) if args.planted else Path(args.log).with_name("planted.csv")
    planted = None
    if planted_path.is_file():
        truth = load_planted(planted_path, raw_ids)
        planted = {lid: int(c) for lid, c in zip(log.listener_ids, truth.tolist()) if c >= 0}
    return log, catalog, planted


def _fit_split(args: argparse.Namespace, log, clusters: int | str):
    """Training and held-out listeners (``--holdout``); fails when too few are left to fit on."""
    import numpy as np

    from composer_assist.core.errors import FeedbackError
    from composer_assist.learn.evaluate import Split, split_log

    split = split_log(log, holdout=args.holdout, seed=args.seed) if args.holdout > 0 else \
        Split(log, log.take(np.zeros(len(log), bool)), log.take(np.zeros(len(log), bool)))
    n_train = split.train.n_listeners
    held = f" after --holdout {args.holdout:g}" if args.holdout > 0 else ""
    if n_train < 2:
        raise FeedbackError(f"{args.log}: {n_train} listener{'s' if n_train != 1 else ''} left to fit on{held} "
                            f"({log.n_listeners} in the log, {len(log)} events); at least 2 are needed"
                            + (" (lower --holdout)" if held and log.n_listeners >= 2 else ""))
    if clusters != "auto" and clusters > n_train:
        raise FeedbackError(f"--clusters {clusters}: more clusters than the {n_train} listeners to fit on{held}")
    return split


def cmd_report(args: argparse.Namespace) -> int:
    from composer_assist.learn.assign import load_model_with_meta
    from composer_assist.figures.listeners import plot_report
    from composer_assist.learn.report import text_report

    store = _store(args)
    model, meta = load_model_with_meta(args.model, store.root)
    print(text_report(model, meta))
    png = Path(args.png) if args.png else store.report_path(args.model)
    plot_report(model, png)
    print(f"picture: {png}")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from composer_assist.learn.feedback_log import load_feedback_log
    from composer_assist.learn.assign import assign, assign_all, load_model

    store = _store(args)
    model = load_model(args.model, store.root)
    events = load_feedback_log(args.events)
    if not len(events):
        from composer_assist.core.errors import FeedbackError

        # printing nothing and exiting 0 reads as "done" when nobody was assigned
        raise FeedbackError(f"{args.events}: no events (the log holds only its header): nobody to assign")
    if args.listener:
        from composer_assist.learn.assign import require_listener

        require_listener(events, args.listener, args.events)
    from composer_assist.learn.report import printable

    for a in ([assign(model, events, args.listener)] if args.listener else assign_all(model, events)):
        lid = a.listener
        print(f"{printable(lid)}: cluster {a.cluster} {a.profile.name} ({a.profile.label}), p={a.confidence:.2f} after {a.n_events} "
              f"event{'s' if a.n_events != 1 else ''}" + ("  [no events: population prior]" if not a.n_events else ""))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from composer_assist.core.atomic import atomic_write_json
    from composer_assist.learn.assign import load_model
    from composer_assist.learn.tables import export_json

    from composer_assist.learn.min_size import check_min_size

    min_size = check_min_size(args.min_cluster_size)
    model = load_model(args.model, _store(args).root)
    data = export_json(model, min_size)
    atomic_write_json(args.output, data)
    for note in data["privacy"]["notes"][len(getattr(model, "privacy_notes_", [])):]:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {len(data['profiles'])} profiles (each of at least {min_size} listeners) and their assignment "
          f"tables -> {args.output}")
    return 0
