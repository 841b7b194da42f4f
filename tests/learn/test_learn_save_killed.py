"""`learn fit -o EXISTING` killed at any moment leaves a loadable model: the old one or the new one.

A server process imports everything once; for each run it forks a child that refits and saves the
same model name over and over, alternating between 2 and 3 clusters, and the test SIGKILLs that
child at a seeded random moment: in half the runs after its first or second save completed (at
most half a cycle later), in the other half just after a new model file appeared (while it is being written, or just after its rename).  (Under schema 2, payload and metadata were two files, and
killing between their writes destroyed the old model in 20 of 20 targeted kills.)
COMPOSER_ASSIST_KILL_RUNS sets the number of runs (default 30).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

import composer_assist
from composer_assist.cli.main import main
from composer_assist.learn.feedback_log import save_feedback_log
from composer_assist.learn.assign import load_model_with_meta
from composer_assist.learn.population import generate_population

SERVER = r"""
import os, sys
from composer_assist.cli.main import main
import composer_assist.cli.learn_cmd, composer_assist.learn.model, composer_assist.learn.evaluate
import composer_assist.learn.persist, composer_assist.learn.report, tqdm
log, store = sys.argv[1:3]
print("ready", flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        i = 0
        while True:  # refit and save until killed
            main(["learn", "fit", log, "-o", "taste", "--store", store, "--holdout", "0",
                  "--clusters", str(2 + i % 2), "--seed", str(i % 2), "--min-cluster-size", "1"])
            i += 1
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


def _fit(log: Path, store: Path, k: int) -> None:
    assert main(["learn", "fit", str(log), "-o", "taste", "--store", str(store), "--holdout", "0",
                 "--clusters", str(k), "--seed", str(k - 2), "--min-cluster-size", "1"]) == 0


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the child never saved"


def test_killed_fit_leaves_the_old_or_the_new_model(tmp_path, capsys):
    runs = int(os.environ.get("COMPOSER_ASSIST_KILL_RUNS", "30"))
    log = save_feedback_log(generate_population(40, 8, seed=5).log, tmp_path / "feedback.csv")
    store = tmp_path / "store"
    reference = {}
    with threadpool_limits(1):  # as in the child, so the references match bit for bit
        for k in (2, 3):  # the store starts with 3 clusters; each child's first save has 2
            t = time.perf_counter()
            _fit(log, store, k)
            cycle = time.perf_counter() - t
            reference[k] = load_model_with_meta("taste", store)[0].log_keep_
    capsys.readouterr()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": str(Path(composer_assist.__file__).parents[1])}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(log), str(store)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    rng = np.random.default_rng(20240611)
    seen, torn = {2: 0, 3: 0}, 0
    child = None
    try:
        assert server.stdout.readline().strip() == "ready"
        for run in range(runs):
            server.stdin.write("go\n")
            server.stdin.flush()
            child = int(server.stdout.readline())
            if run % 2:
                _wait_for(lambda: any(n.startswith(".taste.npz.") for n in os.listdir(store)))
                time.sleep(rng.uniform(0, 0.004))
            else:  # after the child's first save (2 clusters) or its second (3), at a random moment
                for _ in range(1 if run % 4 == 0 else 2):
                    before = (store / "taste.npz").stat().st_ino
                    _wait_for(lambda: (store / "taste.npz").stat().st_ino != before)
                time.sleep(rng.uniform(0, 0.5 * cycle))  # before the next save, mostly
            os.kill(child, signal.SIGKILL)
            assert server.stdout.readline().strip() == "reaped"
            child = None
            model, meta = load_model_with_meta("taste", store)  # never missing, torn or mismatched
            k = model.n_clusters_
            assert k in (2, 3) and meta["quality"]["n_clusters"] == k
            assert meta["hyperparameters"]["n_clusters"]["array"] and np.array_equal(model.log_keep_, reference[k])
            seen[k] += 1
            temps = list(store.glob(".taste.npz.*.tmp"))  # a kill while the new file was being written
            torn += bool(temps)
            for t in temps:
                t.unlink()
    finally:
        if child is not None:
            os.kill(child, signal.SIGKILL)
        server.kill()
        server.wait()
    print(f"{runs} kills: old/new model with 2 clusters {seen[2]}, with 3 clusters {seen[3]}; "
          f"{torn} kills during a model write")
    # The kills landed on both sides of saves: each model was left behind in a good share of the
    # runs.  (The even runs wait for the first or the second save, so each model is there in about
    # a quarter of the runs whatever the machine's speed; a random wait of up to 3 cycles measured
    # once in this process, as before, left 3 clusters behind in 2 to 6 runs of 30 as the load
    # varied.)
    assert min(seen.values()) >= runs // 6
