"""bench/RESULTS.md states KTC's booking against the floor on four lines of their own, from the run's figures."""
import re
import statistics

from bench.report import render_markdown


def _rush(kind, app_cpu_ms, db_cpu_ms, p99_ms):
    return {
        "kind": kind, "requests": 500, "sessions": 5, "capacity": 12, "workers": 5, "worker_class": "sync",
        "threads": 1, "wall_seconds": 4.0, "throughput": 125.0, "p50_ms": p99_ms / 2, "p99_ms": p99_ms,
        "max_ms": p99_ms, "client_cpu_seconds": 0.2, "app_cpu_ms": app_cpu_ms, "db_cpu_ms": db_cpu_ms, "cores": 2,
        "statuses": {"201": 500}, "server_errors": 0, "client_errors": [],
        "per_session": [{"session": 1, "capacity": 12, "confirmed": 12, "municipal": 6, "regional": 6,
                         "waitlisted": 88, "counters_match": True}],
        "overbooked": 0, "all_full": True, "counters_match": True,
    }


def _results(rushes):
    return {
        "machine": "test machine", "started": "2026-11-30T12:00:00+00:00", "finished": "2026-11-30T12:05:00+00:00",
        "size": "small",
        "databases": {"postgres": {
            "version": "PostgreSQL 16", "counts": {"participants": 1000}, "generation_seconds": 10,
            "load_before": "load average: 0.10", "load_after": "load average: 0.20",
            "figures": {}, "rush": rushes,
        }},
    }


def _render(rushes):
    return render_markdown(_results(rushes), (), {}, 150, statistics)


def _kinds(**more):
    """The HTML form, the floor and the API as in the first test, and any kinds more."""
    return {"html": _rush("html", 20.0, 4.0, 3000.0), "floor": _rush("floor", 3.0, 1.0, 800.0),
            "api": _rush("api", 8.0, 2.0, 1600.0), **more}


def test_the_four_ratio_lines_are_rendered_from_the_figures():
    text = _render(_kinds())
    lines = text.splitlines()
    # (8 + 2) ÷ (3 + 1), (20 + 4) ÷ (3 + 1), 1600 ÷ 800, 3000 ÷ 800.
    assert "booking CPU ÷ floor, API: 2.5" in lines
    assert "booking CPU ÷ floor, HTML form: 6.0" in lines
    assert "rush p99 ÷ floor p99, API: 2.0" in lines
    assert "rush p99 ÷ floor p99, HTML form: 3.8" in lines
    for prefix in ("booking CPU ÷ floor, API", "booking CPU ÷ floor, HTML form", "rush p99 ÷ floor p99, API",
                   "rush p99 ÷ floor p99, HTML form"):
        assert len([line for line in lines if re.fullmatch(re.escape(prefix) + r": \d+\.\d", line)]) == 1
    # The two over the target (2.5) are named where the missed targets are explained.
    missed = text.split("### Where a target was missed", 1)[1]
    assert "booking CPU ÷ floor, HTML form: 6.0" in missed and "rush p99 ÷ floor p99, HTML form: 3.8" in missed
    assert "booking CPU ÷ floor, API: 2.5" not in missed


def test_without_a_floor_no_ratio_is_made_up():
    text = _render({"html": _rush("html", 20.0, 4.0, 3000.0)})
    assert "÷ floor" not in text


def test_rounds_are_taken_as_medians_and_correctness_must_hold_in_every_round():
    from bench.rush import _median_round

    rounds = [_rush("api", 6.0, 1.0, 1800.0), _rush("api", 9.0, 2.0, 2400.0), _rush("api", 5.0, 1.5, 1500.0)]
    rounds[1]["throughput"], rounds[0]["throughput"] = 90.0, 140.0
    rounds[2]["overbooked"], rounds[2]["all_full"] = 1, False
    rounds[1]["server_errors"] = 2
    one = _median_round(rounds)
    assert (one["app_cpu_ms"], one["db_cpu_ms"], one["p99_ms"]) == (6.0, 1.5, 1800.0)
    assert one["throughput"] == 140.0  # the round of median CPU (7.0 ms of 6.5, 7.0 and 11.0)
    assert (one["overbooked"], one["all_full"], one["server_errors"]) == (1, False, 2)
    text = _render({"api": one, "floor": _rush("floor", 2.0, 0.5, 600.0)})
    assert "3 rounds, the kinds taking turns" in text
    assert "6.00 + 1.00, 1 800.0; 9.00 + 2.00, 2 400.0; 5.00 + 1.50, 1 500.0." in text
    assert "booking CPU ÷ floor, API: 3.0" in text.splitlines()


def test_the_guarded_floor_says_what_the_guarantees_cost_and_what_ktc_adds():
    text = _render(_kinds(guarded=_rush("guarded", 3.5, 1.5, 1200.0)))
    lines = text.splitlines()
    # (3.5 + 1.5) ÷ (3 + 1); (8 + 2) ÷ 5; (20 + 4) ÷ 5.
    assert "guarded floor CPU ÷ floor: 1.2" in lines
    assert "booking CPU ÷ guarded floor, API: 2.0" in lines
    assert "booking CPU ÷ guarded floor, HTML form: 4.8" in lines
    # The four ratio lines of the issue are still against the floor itself.
    assert "booking CPU ÷ floor, API: 2.5" in lines
    # The guarded floor is a floor: its p99 over a second is no target KTC missed.
    missed = text.split("### Where a target was missed", 1)[1]
    assert "rush_p99_guarded" not in missed


def test_without_the_guarded_floor_no_guarded_ratio_is_made_up():
    text = _render({"floor": _rush("floor", 3.0, 1.0, 800.0), "api": _rush("api", 8.0, 2.0, 1600.0)})
    assert "guarded" not in text


def test_the_shell_is_set_against_the_floor_and_misses_no_target_of_its_own():
    shell = _rush("shell", 5.0, 1.4, 1500.0)
    shell["rounds"] = [dict(shell), dict(shell)]
    text = _render(_kinds(guarded=_rush("guarded", 3.5, 1.5, 1200.0), shell=shell))
    lines = text.splitlines()
    # (5 + 1.4) ÷ (3 + 1); 1500 ÷ 800.
    assert "shell CPU ÷ floor: 1.6" in lines
    assert "shell p99 ÷ floor p99: 1.9" in lines
    assert "rush_p99_shell" not in text.split("### Where a target was missed", 1)[1]
    # The rounds say in which order the kinds took turns.
    assert "the kinds taking turns (HTML form, floor, API, guarded floor, shell, HTML form, …)" in text


def test_the_ratios_are_also_given_round_by_round():
    """Each kind's median is set against the floor's median; the rounds show how far the same ratio moved
    from one round to the next (the kinds take turns, so round i of a kind is set against round i of
    the floor)."""
    def rounds(*figures):
        return [{"app_cpu_ms": a, "db_cpu_ms": d, "p99_ms": p} for a, d, p in figures]

    kinds = _kinds()
    kinds["floor"]["rounds"] = rounds((3.0, 1.0, 800.0), (2.0, 0.5, 500.0), (4.0, 1.0, 1000.0))
    kinds["api"]["rounds"] = rounds((8.0, 2.0, 1600.0), (7.0, 1.0, 1500.0), (8.0, 2.0, 1600.0))
    kinds["html"]["rounds"] = rounds((20.0, 4.0, 3000.0), (10.0, 0.0, 2000.0), (25.0, 5.0, 3000.0))
    text = _render(kinds)
    line = next(line for line in text.splitlines() if line.startswith("The lines above compare"))
    # 10 ÷ 4, 8 ÷ 2.5, 10 ÷ 5; 1600 ÷ 800, 1500 ÷ 500, 1600 ÷ 1000.
    assert "booking CPU ÷ floor, API 2.5, 3.2, 2.0" in line
    assert "booking CPU ÷ floor, HTML form 6.0, 4.0, 6.0" in line
    assert "rush p99 ÷ floor p99, API 2.0, 3.0, 1.6" in line
    assert "rush p99 ÷ floor p99, HTML form 3.8, 4.0, 3.0" in line
    # The four lines of their own are still the medians' (and still one each).
    assert "booking CPU ÷ floor, API: 2.5" in text.splitlines()


def test_no_rounds_are_made_up_when_a_kind_has_fewer():
    kinds = _kinds()
    kinds["floor"]["rounds"] = [{"app_cpu_ms": 3.0, "db_cpu_ms": 1.0, "p99_ms": 800.0}] * 3
    kinds["api"]["rounds"] = [{"app_cpu_ms": 8.0, "db_cpu_ms": 2.0, "p99_ms": 1600.0}] * 2
    assert "Round by round" not in _render(kinds)
