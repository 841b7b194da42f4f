"""Wall time of the whole `composer-assist demo`, warm (stems cached) and cold (empty cache).

    python benchmarks/demo.py [--repeat 3]

Each run is a fresh process, as a user types it (Python start-up and imports included), with a
throw-away cache and model store.  Runs alternate cold / warm so machine load hits both alike.
Targets (house-order issue): warm under 10 s, cold under 15 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_demo(cache: Path, data: Path, out: Path) -> float:
    env = dict(os.environ, COMPOSER_ASSIST_CACHE=str(cache), XDG_DATA_HOME=str(data))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "composer_assist", "demo", "-o", str(out)], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cold, warm = [], []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for i in range(args.repeat):
            cache = base / f"cache{i}"
            cold.append(run_demo(cache, base / "data", base / f"out{i}"))
            warm.append(run_demo(cache, base / "data", base / f"out{i}w"))
    for name, xs, goal in (("cold", cold, 15.0), ("warm", warm, 10.0)):
        print(f"demo {name}: min {min(xs):.2f} s, median {statistics.median(xs):.2f} s, max {max(xs):.2f} s "
              f"over {len(xs)} runs (target < {goal:g} s)")


if __name__ == "__main__":
    main()
