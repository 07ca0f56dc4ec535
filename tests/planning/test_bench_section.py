"""bench/RESULTS.md keeps the planning model's figures when bench/run.py writes it again."""
import statistics

from bench.report import render_markdown


def test_the_results_file_carries_the_planning_section():
    results = {"machine": "test machine", "started": "2026-11-30T12:00:00+00:00",
               "finished": "2026-11-30T12:05:00+00:00", "size": "small", "databases": {}}
    text = render_markdown(results, (), {}, 150, statistics)
    section = text.split("## Planning model", 1)[1]
    for figure in ("greedy baseline", "CP-SAT", "upper bound", "gap to the bound", "in all", "Machine load"):
        assert figure in section, figure
