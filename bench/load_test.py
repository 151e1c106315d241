"""Load test: N people at once upload photos and run the studio on a real
`likeness serve` on loopback. Not part of the test run; stops by itself.

    .venv/bin/python bench/load_test.py --sessions 20 --photos 5 --deadline 1200
"""

from __future__ import annotations

import argparse
import json
import sys

from likeness.bench.serve import run

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--photos", type=int, default=5, help="photos per session")
    ap.add_argument("--workers", type=int, default=None, help="server job workers (default 2)")
    ap.add_argument("--deadline", type=float, default=1200.0, help="seconds before it gives up")
    ap.add_argument("--photo", default=None, help="source photo (default: scikit-image's astronaut)")
    a = ap.parse_args()
    result = run(repeat=a.photos, photo=a.photo, sessions=a.sessions, workers=a.workers, deadline_s=a.deadline)
    print(json.dumps(result, indent=2))
    sys.exit(0 if not result["timed_out"] and not result["jobs_not_done"] and result["max_completions_per_job"] == 1 else 1)
