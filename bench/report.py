"""bench/RESULTS.md from one run's figures."""


def render_markdown(results, pages, limits, default_limit, statistics):
    return repr(results)
