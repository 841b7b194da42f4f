"""The adaptive quality figures over every real viewer trace: the demo cue, live and planned.

Runs ``composer-assist evaluate`` over the studyforrest film (cut into its scored scenes), the
PMEmo songs in ../shared/realdata and the sample traces in projects/traces, and prints the table
and the summary against the targets (docs/adaptive.md, "Evaluation over real viewers").  Takes
minutes.  Run: python benchmarks/evaluate.py [--strict] [--radius R]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from composer_assist.cli.main import main  # noqa: E402

REALDATA = Path(os.environ.get("COMPOSER_ASSIST_REALDATA", ROOT.parent / "shared" / "realdata"))
SETS = [REALDATA / "studyforrest_emotions", REALDATA / "pmemo_samples", ROOT / "projects" / "traces"]

if __name__ == "__main__":
    sys.exit(main(["evaluate", str(ROOT / "projects" / "demo"), "--cue", "night_chase", *sys.argv[1:],
                   *map(str, SETS)]))
