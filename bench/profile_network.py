"""Where the network view's time goes: each part of `summary()` and the whole page, on a bench dataset.

    python bench/run.py --db sqlite --prepare-only      # the dataset, once
    python bench/profile_network.py                     # timings of the parts
    python bench/profile_network.py --cprofile 25       # and the 25 most expensive functions

Builds the app as bench/run.py does and reads the generated ids from the dataset's JSON note.
"""
import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402
from bench.run import DATA, app_for  # noqa: E402


def _timed(fn, reps):
    times, result = [], None
    for _ in range(reps):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--size", choices=("full", "small"), default="full")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--cprofile", type=int, default=0, help="print this many functions by cumulative time")
    args = parser.parse_args(argv)
    meta = json.loads((DATA / f"{args.db}-{args.size}.json").read_text())
    app = app_for(meta["url"])

    from ktc.extensions import db
    from ktc.network import operations as ops
    from ktc.runtime import settle_worker

    with app.app_context():
        targets = measure.find_targets(meta)
        settle_worker()
        from datetime import date

        f = ops.make_filters(date.fromisoformat(targets.date_from), date.fromisoformat(targets.date_to))
        buckets = ops.period_buckets(f)
        sel = ops._selected_sessions(f, buckets)
        parts = {
            "summary()": lambda: ops.summary(f),
            "  aggregation": lambda: ops._aggregate_all(f, sel, buckets),
            "  reports": lambda: ops._reports(f, sel),
        }
        data = ops.summary(f)
        parts["  free text"] = lambda: ops._free_text(f, sel, data["by_station"])
        for name, fn in parts.items():
            median, worst, _result = _timed(fn, args.reps)
            db.session.rollback()
            print(f"{name:<20} median {median:8.1f} ms   max {worst:8.1f} ms")

        client = measure.client_for(app)
        measure.login(client, targets.network)
        url = f"/network/?date_from={targets.date_from}&date_to={targets.date_to}"
        page = measure.measure(client, db.engine, "page", "GET", url, args.reps)
        print(f"{'whole page':<20} median {page.median:8.1f} ms   p95 {page.p95:8.1f} ms   "
              f"{page.query_count} statements")
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            client.get(url).get_data()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
