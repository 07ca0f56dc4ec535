"""Which tests call which mutated function: a pytest plugin for choosing `tests/mutant_subset.py`'s
subsets (docs/MUTATION.md, "Checking mutants against a subset"). Not a test module; run it from the
`mutants/` copy:

    cd mutants && ../.venv/bin/python -m pytest -p tests.mutant_stats -p no:cacheprovider -n 2 \
        --ignore=tests/e2e -m "not slow and not e2e" tests

It switches mutmut's trampolines to their "stats" mode and records, per test, the functions they
pass through; `mutant-stats.json` (or `$MUTANT_STATS_OUT`) maps each function
(`ktc.policy.x_can_book`) to the ids of the tests that call it. With xdist each worker writes its
part and the controller merges them.
"""
import collections
import glob
import json
import os

import mutmut.mutation.trampoline as trampoline
import pytest

os.environ["MUTANT_UNDER_TEST"] = "stats"
OUT = os.environ.get("MUTANT_STATS_OUT", "mutant-stats.json")
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
HITS = collections.defaultdict(set)
CURRENT = [None]


def _record(name, caller=None):
    if CURRENT[0]:
        HITS[name].add(CURRENT[0])


trampoline.record_trampoline_hit = _record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    CURRENT[0] = item.nodeid
    yield
    CURRENT[0] = None


def pytest_sessionfinish(session):
    if WORKER:
        with open(f"{OUT}.{WORKER}", "w") as part:
            json.dump({name: sorted(tests) for name, tests in HITS.items()}, part)
        return
    merged = collections.defaultdict(set, HITS)
    for path in glob.glob(f"{glob.escape(OUT)}.gw*"):
        with open(path) as part:
            for name, tests in json.load(part).items():
                merged[name].update(tests)
        os.remove(path)
    with open(OUT, "w") as out:
        json.dump({name: sorted(tests) for name, tests in sorted(merged.items())}, out, indent=0)
