"""Benchmark: fit on 100,000 SYNTHETIC listeners / 1,000,000 events; assign one listener from events.

Targets: fit < 30 s, assignment < 1 ms.  Generation of the log is not part of the fit time; parsing
the 1M-row CSV is timed and printed separately.  Run: python benchmarks/learn.py [--listeners N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from composer_assist.learn.feedback_log import load_feedback_log, save_feedback_log
from composer_assist.learn.assign import OnlineAssigner, assign
from composer_assist.learn.features import event_arrays
from composer_assist.learn.model import ListenerPreferenceModel
from composer_assist.learn.population import generate_population


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--listeners", type=int, default=100_000)
    ap.add_argument("--events-per-listener", type=int, default=10)
    ap.add_argument("--method", default="gmm")
    args = ap.parse_args()

    t = time.perf_counter()
    pop = generate_population(args.listeners, args.events_per_listener, seed=1)
    print(f"generate: {len(pop.log):,} events in {time.perf_counter() - t:.2f} s (not part of fit)")
    with tempfile.TemporaryDirectory() as tmp:
        path = save_feedback_log(pop.log, Path(tmp) / "feedback.csv")
        size = path.stat().st_size
        t = time.perf_counter()
        log = load_feedback_log(path)
        print(f"load+validate CSV: {len(log):,} rows, {size / 1e6:.0f} MB in {time.perf_counter() - t:.2f} s")

    t = time.perf_counter()
    model = ListenerPreferenceModel(method=args.method, random_state=0).fit(log)
    fit_s = time.perf_counter() - t
    print(f"fit ({args.method}, clusters chosen by {model.selection_['criterion']} over 1..8 on a "
          f"{model.selection_sample:,}-listener sample, final fit on all): {fit_s:.2f} s, "
          f"{model.n_clusters_} clusters  [target < 30 s]")

    rng = np.random.default_rng(0)
    ev = event_arrays(log, model.catalog_, model.dwell_median_)
    order = np.argsort(ev.listener, kind="stable")
    bounds = np.searchsorted(ev.listener[order], np.arange(log.n_listeners + 1))
    picks = rng.choice(log.n_listeners, 2000, replace=False)
    rows = [order[bounds[i]:bounds[i + 1]] for i in picks]
    t = time.perf_counter()
    for r in rows:
        model.cluster_posterior(ev.context[r], ev.variant[r], ev.kept[r], ev.rating[r])
    per = (time.perf_counter() - t) / len(rows)
    print(f"assign a listener from {args.events_per_listener} events (posterior from arrays): "
          f"{per * 1e3:.3f} ms  [target < 1 ms]")

    one = [list(log.for_listener(log.listener_ids[i]).to_rows()) for i in picks[:200]]
    t = time.perf_counter()
    for evs in one:
        a = OnlineAssigner(model)
        for e in evs:
            a.observe(e["cue"], e["variant"], e["valence"], e["arousal"], e["kept"], e["rating"])
    per = (time.perf_counter() - t) / len(one)
    print(f"assign a listener event by event (OnlineAssigner, {args.events_per_listener} events): {per * 1e3:.3f} ms")

    small = [log.for_listener(log.listener_ids[i]) for i in picks[:200]]
    t = time.perf_counter()
    for s in small:
        assign(model, s)
    per = (time.perf_counter() - t) / len(small)
    print(f"assign from a parsed FeedbackLog of one listener (incl. catalog mapping): {per * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
