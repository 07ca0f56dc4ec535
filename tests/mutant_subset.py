"""Run mutmut's mutants against a chosen subset of the tests (docs/MUTATION.md, "Checking mutants
against a subset"). Not a test module; run it from the `mutants/` copy that `mutmut run` made:

    cd mutants && ../.venv/bin/python tests/mutant_subset.py OUT "tests/a.py tests/b.py" NAME...

Each mutant (NAME as `mutmut results` prints it) runs in a forked child of a parent that has
imported the application but never run it, so no module-level cache (an `lru_cache`, a statement
built once with `functools.cache`) built by the unmutated code hides a mutant, as it can in
`mutmut run`, whose children fork from a process that already ran the tests. A run without a
mutant must pass first. A mutant counts as killed only when pytest reports failed tests; a
survivor here survived the subset only (run it with `mutmut run NAME` against all its tests, or
write a test). Each child's output is kept in `mutant-logs/NAME.log`; OUT gets one line per mutant,
and a mutant OUT already has a verdict for is not run again (a stopped run resumes where it was).
"""
import os
import sys

# Run as a script, Python puts tests/ first on the path, where tests/calendar would shadow the
# standard library's calendar module: drop it (the project root comes back in _warm).
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import importlib  # noqa: E402
import pkgutil  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

LOGS = "mutant-logs"


def _warm():
    """Import the application and the fixtures once (the children start from here)."""
    import pytest  # noqa: F401

    sys.path.insert(0, ".")
    import ktc

    importlib.import_module("tests.conftest")
    # The pytest plugins (hypothesis, schemathesis, playwright, …) cost seconds of CPU per child
    # if each child imports them: import them once here (a local speed-up, verdicts unchanged).
    from importlib.metadata import entry_points

    for entry in entry_points(group="pytest11"):
        try:
            entry.load()
        except Exception as error:
            print("plugin not imported:", entry.name, error)
    for name in ("hypothesis", "schemathesis", "schemathesis.python.asgi",
                 "schemathesis.reporting.html.writer", "schemathesis.graphql", "schemathesis.openapi",
                 "schemathesis.auths", "schemathesis.checks", "schemathesis.pytest.xdist", "anyio"):
        try:
            importlib.import_module(name)
        except Exception as error:
            print("not imported:", name, error)
    for module in pkgutil.walk_packages(ktc.__path__, "ktc."):
        try:
            importlib.import_module(module.name)
        except Exception as error:  # an optional module: the child imports it again if it needs it
            print("not imported:", module.name, error)


def run(name, test_args):
    import pytest

    started = time.time()
    log_path = os.path.join(LOGS, f"{name}.log")
    pid = os.fork()
    if pid == 0:
        os.environ["MUTANT_UNDER_TEST"] = name
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            code = pytest.main(["-p", "no:cacheprovider", "--assert=plain", "-n", "0", "-x", "-q", *test_args])
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 99
        os._exit(int(code))
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(log_path, errors="replace") as log:
        output = log.read()
    if code == 0:
        verdict = "survived"
    elif code == 1 and re.search(r"\b\d+ failed\b", output):
        verdict = "killed"
    else:
        verdict = f"error{code}"
    return verdict, time.time() - started


def _done(out):
    """The mutants OUT already has a verdict for."""
    if not os.path.exists(out):
        return set()
    with open(out) as results:
        return {parts[1] for parts in (line.split() for line in results) if len(parts) == 3 and parts[0] != "control"}


def main(out, test_args, names):
    os.makedirs(LOGS, exist_ok=True)
    done = _done(out)
    names = [name for name in names if name not in done]
    _warm()
    with open(out, "a") as results:
        verdict, seconds = run("none", test_args)
        results.write(f"control {verdict} {seconds:.0f}s\n")
        results.flush()
        if verdict != "survived":
            results.write("CONTROL FAILED: the subset fails without a mutant\n")
            return 1
        for name in names:
            verdict, seconds = run(name, test_args)
            results.write(f"{verdict} {name} {seconds:.0f}s\n")
            results.flush()
        results.write("DONE\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2].split(), sys.argv[3:]))
