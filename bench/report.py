"""bench/RESULTS.md from one run's figures: the numbers, the targets, and why a missed target missed."""
from pathlib import Path

LABELS = {
    "week": "Planner grid, a centre's week, all stations (`/sessions/week`)",
    "week_station": "Planner grid, one station's week (`/sessions/week?station=`)",
    "dashboard": "Admin dashboard: today, at risk, waiting lists, outbox, expiring skills (`/`)",
    "team": "Team booking page, manager of 300 staff (`/bookings/team?session=`)",
    "matrix": "Skill matrix of that unit (`/records/matrix?unit=`)",
    "team_bookings": "Team bookings of that manager, every booking, first page (`/bookings/team/bookings?view=all`)",
    "staff_search": "Staff picker search, admin, whole county (`/organisations/staff/search?q=and`)",
    "staff_search_unit": "Staff picker search, manager, own units (`/organisations/staff/search?q=a`)",
    "network": "Network view over a year (`/network/?date_from=&date_to=`)",
    "participant_feed": "Participant feed (`/calendar/feed/<token>.ics`)",
    "unit_feed": "Unit feed of the 300-staff unit, unchanged since it was last read",
    "unit_feed_changed": "Same unit feed after a change (built again, unchanged events reused)",
    "unit_feed_cold": "Same unit feed, cold: nothing reused (first request after a restart)",
    "feed_304": "Unit feed, conditional request answered 304",
    "booking": "Booking one person (`POST /bookings/team`)",
    "booking_result": "The page that booking sends to (`/bookings/team/result?session=`)",
    "feed_build_ratio": "Feed build against icalendar alone",
    "feed_304_ratio": "304 against a bare Flask response",
    "rush_p99": "Rush p99 latency",
    "rush_p99_html": "Rush p99 latency, HTML form",
    "rush_p99_api": "Rush p99 latency, JSON API",
    "floor_ratio": "Booking against the floor",
}

# Why a figure can miss its target on this kind of machine, and what would fix it. Shown only
# for the figures that missed in the run being written.
WHY = {
    "network": (
        "The view sums a year of kept per-session figures (`session_stats`, written with each "
        "attendance, sign-off and feedback change): about 7,000 session rows and 30,000 session–skill "
        "pairs in three grouped queries, instead of the 270,000 bookings, records and answers behind "
        "them. What is left is the database's sums over those rows (the per-skill sums are most of "
        "it on SQLite), scrubbing and rendering up to 6,000 free-text answers (100 per station and "
        "question) and the page itself; on a loaded two-core machine that can still pass 300 ms. "
        "Fewer free-text answers per station, or per-month figures kept per station and skill, would "
        "cut it further."
    ),
    "matrix": (
        "The page is a table of 300 people × the skills their professions require (about 5,000 "
        "cells, 800 kB of HTML). Each distinct cell (skill, side, status, date) is rendered once and "
        "copied, each date formatted once; what is left is the records query (about 10,000 of them "
        "for the unit, ordered by session) and the rows. On a loaded two-core machine it can pass "
        "150 ms; showing the matrix 100 people at a time would cut it in proportion."
    ),
    "unit_feed_changed": (
        "The feed is built again whenever something it shows changed (its stored validator moved): "
        "about 2,600 events, read as plain rows in three statements; each event's serialised text is "
        "reused while nothing it is built from changed, so the time is reading ~2,700 rows and joining "
        "the text. A shorter window (it shows 180 days back and everything ahead) would cut it in proportion."
    ),
    "unit_feed_cold": (
        "Only the first request for a feed after a web process starts serialises every event with "
        "icalendar; that is most of the time (see the ratio table: the same events serialised with "
        "icalendar alone take nearly as long). Every later request reuses the built feed or its events. "
        "Serialising at startup (or keeping serialised events in the database) would hide it; with "
        "hourly polling the cost is one request per feed and process."
    ),
    "feed_build_ratio": (
        "The feed does what the bare serialisation does plus reading the events (three statements), "
        "their per-event description lines, the VTIMEZONE and the request itself."
    ),
    "feed_304_ratio": (
        "A 304 must still know whether the feed changed and whether its owner may still read it: "
        "one indexed query (the feed, its owner's rights and its stored validator), which alone costs "
        "more than a bare Flask response (on PostgreSQL one round trip, in autocommit so without BEGIN "
        "and ROLLBACK; the pool no longer pings each connection). KTC's own floor, the app answering a route that does "
        "nothing (its session, login, locale and security-header hooks), is about twice a bare "
        "Flask response already; the ratio against that floor is in the table. Closer to the bare "
        "figure would need the validators in the web process's memory, kept fresh across processes "
        "(for example by PostgreSQL LISTEN/NOTIFY), which would trade a fresh answer for a few "
        "hundred microseconds."
    ),
}


FLOOR_WHY = (
    "The floor is five statements on a bare Flask app: token and user, the person's side, the seat "
    "UPDATE, the booking INSERT, an outbox row (with BEGIN and COMMIT, seven round trips). A KTC booking "
    "of one person is seven (the token's user with the units they manage; the session with its place and "
    "who waits for it per side; the people locked, with their side; whether they have a row for it and "
    "any overlapping booking, from their index on bookings alone; the seat claim, which on PostgreSQL "
    "returns the counters also when it takes nothing; the booking row, inserted only into a scheduled "
    "session; and at the commit the outbox event, the audit entry and the feed stamps as one statement, "
    "each a data-modifying WITH of it, since session 15). Every one is a rule of the SPEC or a "
    "guarantee of QUALITY.md (overlap under the person's lock, audit, feed validators, permissions per "
    "object). The guarded floor, those seven statements as SQLAlchemy Core on the bare app, is what the "
    "guarantees cost (its ratio to the floor is above). The rest is KTC's framework. Since session 13 "
    "the booking operation reads the session and the people as Core rows and keeps the new booking as a "
    "row, for the API and the form alike; since session 17 the signed-in user too is read by a Core "
    "query (and made a User of the request's session without the ORM's query), and the API signs its "
    "token's user in itself and neither reads nor writes the cookie session. Since session 16 the "
    "form books with Post/Redirect/Get: the POST commits and answers with a redirect, and the result page "
    "is a request of its own (its CPU is above, beside the booking's). Rendering that page cost about "
    "0.45 times the floor, and it was done inside the transaction that holds the session's row from the "
    "seat claim on; the POST now commits right after the booking. Measured in one process "
    "(`bench/booking_profile.py --floor`, worker CPU, booking in turn with the floor; five runs on "
    "2026-12-01 after the change): the guarded floor 1.21–1.45 times the floor; KTC's own request "
    "handling around the guarded statements (the shell) 2.0–2.25; the API 2.25–2.65; the form's POST "
    "2.44–2.78, 0.1 to 0.3 above the API in each run (the cookie session read and written again with "
    "the result, CSRF, the form's fields, the redirect); its result page 1.65–1.94; the POST and its "
    "page together 4.1–4.7. Ten runs before the change, the same day: the API 2.02–2.46, the form "
    "(the POST rendering its page) 2.63–3.06. After session 17's changes (three runs, 2026-12-02): the "
    "shell 1.90–2.03, the API 2.18–2.36, the form's POST 2.48–2.53, its result page 1.62–1.78; Python "
    "function calls per booking, a figure the machine's load does not move, the API 4159 (4422 before) "
    "and the form 4970 (5110). What the form's POST costs beyond the API's booking, sampled in one "
    "gunicorn worker (py-spy counting only the time a worker holds the interpreter, 2026-12-02; the "
    "API 4.26 ms, the form 5.07 ms): the cookie session read (about 0.19 ms) and written again with "
    "the result (0.22 ms), the CSRF check (0.14 ms, and 0.06 ms reading the form's fields, which the "
    "booking reads anyway) and the redirect (about 0.08 ms), together about 0.7 ms, a quarter of the "
    "floor; each is a guarantee (the signed-in browser, the result's page, no cross-site posts). The "
    "rest of a booking is mostly the seven statements: through SQLAlchemy and psycopg each cost the "
    "worker 0.2 to 0.4 ms, about two thirds of the API's CPU in all. Since session 19 they go past "
    "SQLAlchemy's execution on PostgreSQL (`ktc.database.rows`: compiled once, sent through psycopg), "
    "as the floor's do not: in one process the API went from 2.16–2.22 to 1.67–1.71 times the floor "
    "and the form's POST from 2.34–2.44 to 1.83–1.96 (2026-12-02); against a floor whose statements "
    "were sent the same way the form was 2.44 and 2.64 in two rushes. PostgreSQL's side of a KTC booking is "
    "the guarded floor's when one worker books alone (1.31 against 1.24 ms per booking, 2026-12-02); "
    "in the rush, beside two workers busy on the same two cores, the same statements cost KTC's "
    "backends 1.6 to 1.8 ms against the guarded floor's 1.3 to 1.4 (perf shows the same profile, "
    "every part dearer): a worker's CPU weighs twice. The rush ratios move with the machine more than "
    "with small changes (the round-by-round figures above): before session 19, nine rushes on "
    "2026-12-02 gave the form 2.2 to 2.8 and the API 2.0 to 2.5; after it, five gave the form 1.9 to "
    "2.4 and the API 1.7 to 2.1. The in-process comparison is the one to judge a change by."
)


RUSH_KINDS = {
    "html": ("HTML team-booking form", "a real browser POST to `/bookings/team` with session cookie and CSRF "
             "token, answered with a redirect to the booking's result page"),
    "api": ("JSON booking API", "`POST /api/v1/sessions/<id>/bookings` with a personal API token, as an "
            "integration calls it, answered with the per-person results and the seats"),
    "floor": ("the floor (`bench/floor.py`)", "the same API request against a minimal Flask app with SQLAlchemy "
              "Core doing only the essential work of a booking in one transaction (the token and its user, "
              "the person's side under the manager's units, one conditional seat `UPDATE … RETURNING`, the "
              "booking `INSERT`, an outbox row, commit), under its own gunicorn with the same settings"),
    "guarded": ("the guarded floor (`bench/floor.py`)", "the same API request against the same minimal app doing "
                "everything KTC's booking guarantees, in KTC's seven statements as SQLAlchemy Core built once: "
                "the session with its waiting counts, the person locked under the manager's units, the overlap "
                "and already-booked check, the seat claim, the booking `INSERT` under a share lock of the "
                "session, then the outbox event, the audit entry and the feed stamps in one statement, commit"),
    "shell": ("KTC's request shell around the guarded floor's statements (`bench/shell.py`)",
              "the same API request against KTC's app with one route more: KTC's own request handling (the "
              "token's user through Flask-Login, the body and the answer through the API's schemas, the one "
              "commit point, a translated reason) around the guarded floor's statements, under a gunicorn of "
              "its own with the same settings: what a second, hand-written path for booking one person "
              "would cost"),
}
# Each kind's short name (the ratio lines, the order of the rounds).
KIND_NAMES = {"html": "HTML form", "floor": "floor", "api": "API", "guarded": "guarded floor", "shell": "shell"}
# Requests that follow a kind's bookings in the same round and are no bookings themselves: the result
# page the form sends each browser of its rush to next (Post/Redirect/Get).
FOLLOW_UPS = ("page",)
# KTC's two ways of booking, against the floor: the names on the ratio lines.
FLOOR_KINDS = tuple((kind, KIND_NAMES[kind]) for kind in ("api", "html"))
# The yardsticks KTC is measured against: no target of KTC's is theirs.
YARDSTICKS = ("floor", "guarded", "shell")
# The target for every ratio (issue 13): at most this many times the floor.
FLOOR_TARGET = 2.5


def cpu_per_request(rush):
    """Server CPU per request in ms: the gunicorn workers and the PostgreSQL backends."""
    return rush["app_cpu_ms"] + rush["db_cpu_ms"]


def floor_ratios(rushes):
    """[(label, value)] for the four ratio lines, from one run's rushes (empty without a floor)."""
    floor = rushes.get("floor")
    if not floor:
        return []
    ratios = []
    for kind, name in FLOOR_KINDS:
        if kind in rushes:
            ratios.append((f"booking CPU ÷ floor, {name}", cpu_per_request(rushes[kind]) / cpu_per_request(floor)))
    for kind, name in FLOOR_KINDS:
        if kind in rushes:
            ratios.append((f"rush p99 ÷ floor p99, {name}", rushes[kind]["p99_ms"] / floor["p99_ms"]))
    return ratios


def floor_lines(rushes):
    """The section that states the ratios, each on a line of its own (`label: N.N`)."""
    ratios = floor_ratios(rushes)
    if not ratios:
        return []
    floor = rushes["floor"]
    lines = [
        "### Booking against the floor (same run)",
        "",
        f"The floor books the same way in {_ms(cpu_per_request(floor), 2)} ms of server CPU per request "
        f"({_ms(floor['app_cpu_ms'], 2)} ms worker + {_ms(floor['db_cpu_ms'], 2)} ms PostgreSQL) with a rush "
        f"p99 of {_ms(floor['p99_ms'])} ms. KTC: "
        + "; ".join(f"{name} {_ms(cpu_per_request(rushes[kind]), 2)} ms CPU, p99 {_ms(rushes[kind]['p99_ms'])} ms"
                    for kind, name in FLOOR_KINDS if kind in rushes)
        + f". Target: each ratio ≤ {FLOOR_TARGET}.",
        "",
    ]
    for label, value in ratios:
        lines += [f"{label}: {value:.1f}", ""]
    return lines + page_lines(rushes) + round_lines(rushes) + guarded_lines(rushes)


def page_lines(rushes):
    """What the form's booking costs with the page it sends the browser to (Post/Redirect/Get)."""
    floor, html, page = rushes.get("floor"), rushes.get("html"), rushes.get("page")
    if not floor or not html or not page:
        return []
    together = (cpu_per_request(html) + cpu_per_request(page)) / cpu_per_request(floor)
    return [
        "The form answers its booking with a redirect to the booking's result page (Post/Redirect/Get, "
        "since session 16), which the browser asks for next; reloading it shows the result again instead "
        "of booking twice. Asked by every browser of the form's rush at once, right after its bookings, "
        f"the page took {_ms(cpu_per_request(page), 2)} ms of server CPU per request "
        f"({_ms(page['app_cpu_ms'], 2)} ms worker + {_ms(page['db_cpu_ms'], 2)} ms PostgreSQL), p99 "
        f"{_ms(page['p99_ms'])} ms, statuses {page['statuses']}. A booking through the form with its page, "
        "all the CPU one booking takes from the server:",
        "",
        f"booking and its result page CPU ÷ floor, HTML form: {together:.1f}",
        "",
    ]


def round_ratios(rushes):
    """[(label, [ratio per round])] for the four ratios taken round by round (the kinds take turns, so
    each round compares a kind with the floor rushed next to it); empty unless every kind has the same
    number of rounds, more than one."""
    kinds = [kind for kind, _name in FLOOR_KINDS if kind in rushes]
    rounds = {kind: rushes[kind].get("rounds") or [] for kind in ["floor", *kinds]}
    count = len(rounds["floor"])
    if count < 2 or any(len(r) != count for r in rounds.values()):
        return []
    floor = rounds["floor"]
    ratios = [(f"booking CPU ÷ floor, {KIND_NAMES[kind]}",
               [cpu_per_request(k) / cpu_per_request(f) for k, f in zip(rounds[kind], floor)]) for kind in kinds]
    ratios += [(f"rush p99 ÷ floor p99, {KIND_NAMES[kind]}",
                [k["p99_ms"] / f["p99_ms"] for k, f in zip(rounds[kind], floor)]) for kind in kinds]
    return ratios


def round_lines(rushes):
    """How far the ratios move from one round to the next: the machine's noise, next to the medians."""
    ratios = round_ratios(rushes)
    if not ratios:
        return []
    return [
        "The lines above compare each kind's median with the floor's. Round by round (each kind against the "
        "floor rushed in the same round), the same ratios were: "
        + "; ".join(f"{label} {', '.join(f'{v:.1f}' for v in values)}" for label, values in ratios)
        + ". How far they move is the machine's noise, not the code's: judge a change by "
        "`bench/booking_profile.py --floor` (in one process, the kinds in turn).",
        "",
    ]


def guarded_lines(rushes):
    """What the guarantees cost (the guarded floor against the floor) and what KTC adds to them."""
    floor, guarded = rushes.get("floor"), rushes.get("guarded")
    if not floor or not guarded:
        return []
    cpu = cpu_per_request(guarded)
    ratio = cpu / cpu_per_request(floor)
    lines = [
        "The guarded floor (every guarantee of KTC's booking, in the same seven statements, Core alone) "
        f"books in {_ms(cpu, 2)} ms ({_ms(guarded['app_cpu_ms'], 2)} ms worker + "
        f"{_ms(guarded['db_cpu_ms'], 2)} ms PostgreSQL), p99 {_ms(guarded['p99_ms'])} ms: the guarantees cost "
        f"{ratio:.1f} times the floor; the rest of KTC's cost is its framework "
        "(the booking operation's work around the statements, request parsing and answer, login, "
        "translations).",
        "",
        f"guarded floor CPU ÷ floor: {ratio:.1f}",
        "",
    ]
    for kind, name in FLOOR_KINDS:
        if kind in rushes:
            lines += [f"booking CPU ÷ guarded floor, {name}: {cpu_per_request(rushes[kind]) / cpu:.1f}", ""]
    shell = rushes.get("shell")
    if shell:
        lines += [
            "KTC's request shell around the guarded floor's statements (what a second, hand-written path for "
            f"booking one person would cost) books in {_ms(cpu_per_request(shell), 2)} ms "
            f"({_ms(shell['app_cpu_ms'], 2)} ms worker + {_ms(shell['db_cpu_ms'], 2)} ms PostgreSQL), "
            f"p99 {_ms(shell['p99_ms'])} ms.",
            "",
            f"shell CPU ÷ floor: {cpu_per_request(shell) / cpu_per_request(floor):.1f}",
            "",
            f"shell p99 ÷ floor p99: {shell['p99_ms'] / floor['p99_ms']:.1f}",
            "",
        ]
    return lines


def rush_why(rush):
    """Why the rush's p99 missed 1 s, from its own figures: the CPU a request costs against the cores there are."""
    cpu = rush["app_cpu_ms"] + rush["db_cpu_ms"]
    cores = rush.get("cores") or 2
    floor_s = rush["requests"] * cpu / cores / 1000
    budget = cores * 1000 / rush["requests"]
    needed = rush["requests"] * cpu / 1000
    return (
        f"All {rush['requests']} requests arrive in the same instant. Each costs the server "
        f"{_ms(cpu)} ms of CPU ({_ms(rush['app_cpu_ms'])} ms in the gunicorn worker: routing, login, the "
        f"booking with its seat claim, the outbox event (the sender renders the message later), the audit "
        f"entry, the feed stamps, the answer; {_ms(rush['db_cpu_ms'])} ms in PostgreSQL), "
        f"measured from the processes' CPU time over the rush. {cores} cores therefore need at least "
        f"{rush['requests']} × {_ms(cpu)} ms ÷ {cores} ≈ {floor_s:.1f} s for the burst, and the last "
        f"requests wait for all the others: p99 ≈ the time for the whole burst (throughput above; the "
        f"machine was shared, see the load). The load generator is not the limit (one asyncio process, "
        f"{rush['client_cpu_seconds']} s of CPU for the whole rush). A p99 under 1 s needs the burst served "
        f"within a second: at most {_ms(budget)} ms of CPU per request on {cores} cores, or about "
        f"{max(cores + 1, round(needed + 0.5))} cores at today's cost, as more gunicorn workers on more cores "
        f"(or machines) in front of the same PostgreSQL. That scales, because a seat is claimed with one "
        f"conditional UPDATE on the session row and nothing is held in a worker. "
        + ("Correctness held: no overbooking, every session exactly full, seat counters equal to the "
           "bookings, no 5xx." if not rush["overbooked"] and rush["all_full"] and rush["counters_match"]
           and not rush["server_errors"] else "Correctness did NOT hold in this run: see the figures above.")
    )


def _ms(value, digits=1):
    return f"{value:,.{digits}f}".replace(",", " ")


def _rush_sections(lines, entry, missed):
    """The rushes of one database, and KTC against the floor."""
    rushes = entry.get("rush") or {}
    if "requests" in rushes:  # a run saved before the rush had two kinds
        rushes = {"html": {**rushes, "kind": "html"}}
    # The order the kinds were rushed in (bench/rush.py KINDS), then the first again.
    booked = {kind: rush for kind, rush in rushes.items() if kind not in FOLLOW_UPS}
    order = [KIND_NAMES.get(kind, kind) for kind in booked]
    turns = ", ".join(order + order[:1])
    for kind, rush in booked.items():
        title, how = RUSH_KINDS.get(kind, (kind, kind))
        per_session = rush["requests"] // max(1, rush["sessions"])
        server = (f"gunicorn {rush['workers']} {rush.get('worker_class', 'sync')} workers"
                  + (f" × {rush['threads']} threads" if rush.get("threads", 1) > 1 else ""))
        lines += [
            f"### Booking rush, {title}: {rush['requests']} simultaneous requests, {server}",
            "",
            f"- {rush['sessions']} sessions of {rush['capacity']} seats (2 held per side until the "
            f"release), each requested by {per_session} people at once; every request {how}. The load "
            "comes from one asyncio process that opens every connection first and releases all the "
            "requests together.",
        ]
        rounds = rush.get("rounds") or []
        if len(rounds) > 1:
            lines += [
                f"- {len(rounds)} rounds, the kinds taking turns ({turns}, …); the "
                "p99 and the CPU per request below are the medians of the rounds, the throughput, p50, "
                "maximum and statuses those of the round of median CPU, and the correctness figures hold "
                "for every round. Rounds (worker + PostgreSQL ms CPU per request, p99 ms): "
                + "; ".join(f"{_ms(r['app_cpu_ms'], 2)} + {_ms(r['db_cpu_ms'], 2)}, {_ms(r['p99_ms'])}"
                            for r in rounds) + ".",
            ]
        lines += [
            f"- Throughput {rush['throughput']} requests/s ({rush['wall_seconds']} s for all); latency "
            f"p50 {_ms(rush['p50_ms'])} ms, p99 {_ms(rush['p99_ms'])} ms, max {_ms(rush['max_ms'])} ms.",
        ]
        if "app_cpu_ms" in rush:
            lines.append(
                f"- Server CPU per request: {_ms(rush['app_cpu_ms'])} ms in the gunicorn workers + "
                f"{_ms(rush['db_cpu_ms'])} ms in PostgreSQL; the load generator used "
                f"{rush['client_cpu_seconds']} s of CPU for the whole rush.")
        lines += [
            f"- HTTP statuses: {rush['statuses']}; 5xx or failed: {rush['server_errors']}.",
            f"- Overbooked sessions: **{rush['overbooked']}**; every session exactly full: "
            f"{rush['all_full']}; seat counters equal to the bookings: {rush['counters_match']}.",
            "",
            "| Session | Capacity | Confirmed | Municipal | Regional | Waitlisted |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for s_ in rush["per_session"]:
            lines.append(f"| {s_['session']} | {s_['capacity']} | {s_['confirmed']} | {s_['municipal']} | "
                         f"{s_['regional']} | {s_['waitlisted']} |")
        lines.append("")
        if rush["p99_ms"] >= 1000 and kind not in YARDSTICKS:
            missed.append(("rush_p99_" + kind, rush_why(rush) if "app_cpu_ms" in rush else None))
    lines += floor_lines(rushes)
    over = [f"{label}: {value:.1f}" for label, value in floor_ratios(rushes) if value > FLOOR_TARGET]
    if over:
        missed.append(("floor_ratio", f"{', '.join(over)} (target ≤ {FLOOR_TARGET}). " + FLOOR_WHY))


def _missed_section(lines, missed, bare_flask=None):
    """Each target missed in this database's figures, with the reason; `bare_flask` (ms), a bare Flask
    app's response in the same run, says how fast the machine was."""
    if missed:
        lines += ["### Where a target was missed, why, and what would fix it", ""]
        speed = ("" if bare_flask is None else
                 f" A bare Flask app's response took {_ms(bare_flask, 2)} ms in this run: the machine's own speed, "
                 "to compare with other runs' before reading a change in the page's time as the code's.")
        for key in missed:
            if isinstance(key, tuple):
                key, why = key
                lines.append(f"- **{LABELS.get(key, key)}**: {why or 'see the figures above.'}")
            elif key in WHY:
                page = not key.endswith("_ratio")
                lines.append(f"- **{LABELS.get(key, key.replace('_', ' '))}**: {WHY[key]}{speed if page else ''}")
            else:
                lines.append(f"- **{LABELS.get(key, key)}**: measured on this run's machine, under the load shown "
                             f"above.{speed}")
        lines.append("")


def render_markdown(results, pages, limits, default_limit, statistics):
    lines = [
        "# KTC benchmark results",
        "",
        "Written by `bench/run.py` (see `bench/README.md`). Server time is measured in-process with "
        "Flask's test client (the whole request: routing, login, queries, rendering), many "
        "repetitions per page after a warm-up; SQL statements are counted with a "
        "`before_cursor_execute` listener. As in the gunicorn workers (`gunicorn.conf.py`), the "
        "loaded app is frozen out of the garbage collector's full collections and collections are "
        "made rarer (`ktc/runtime.py`: `gc.freeze()`, thresholds 50,000/20/100). The "
        "rush runs against gunicorn.",
        "",
        f"- Machine: {results['machine']}",
        f"- Run: {results['started']} – {results['finished']} (UTC), dataset size `{results['size']}`",
        "",
    ]
    for kind, entry in results["databases"].items():
        figures = entry["figures"]
        counts = entry["counts"]
        lines += [
            f"## {entry['version']}",
            "",
            f"- Load before: `{entry['load_before']}`",
            f"- Load after: `{entry['load_after']}`",
            *([f"- The booking rush below was run again on its own (`bench/run.py --only booking`) at "
               f"{entry['rush_run']} (UTC); load before `{entry['rush_load_before']}`, after "
               f"`{entry['rush_load_after']}`"] if "rush_run" in entry else []),
            f"- Dataset (generated in {entry['generation_seconds']} s): "
            + ", ".join(f"{v:,} {k}".replace(",", " ") for k, v in counts.items()),
            "",
            "| Page | Median ms | p95 ms | SQL statements | Target p95 | Met |",
            "|---|---:|---:|---:|---:|:---:|",
        ]
        missed = []
        for key in pages:
            if key not in figures:  # a page added after these results were recorded
                continue
            figure = figures[key]
            limit = limits.get(key, default_limit)
            met = figure.p95 < limit
            if not met:
                missed.append(key)
            lines.append(f"| {LABELS[key]} | {_ms(figure.median)} | {_ms(figure.p95)} | {figure.query_count} | "
                         f"< {limit} | {'yes' if met else '**no**'} |")
        if "bare_ical" not in figures:  # a booking-only run (`bench/run.py --only booking`)
            _rush_sections(lines, entry, missed)
            _missed_section(lines, missed)
            continue
        bare_ical = statistics.median(figures["bare_ical"].times_ms)
        answer_304 = figures["feed_304"].median
        bare_flask = statistics.median(figures["bare_flask"].times_ms)
        floor = statistics.median(figures["app_floor"].times_ms)
        changed, cold = figures["unit_feed_changed"].median, figures["unit_feed_cold"].median
        changed_ratio, cold_ratio = changed / bare_ical, cold / bare_ical
        ratio_304, floor_ratio = answer_304 / bare_flask, answer_304 / floor
        lines += [
            "",
            "Booking is measured here on the HTML team-booking POST (one person per request, into sessions "
            "with seats and into full ones); the rush below measures it and the JSON booking API under load.",
            "",
        ]
        if "booking" in figures:
            booking = figures["booking"].median
            lines += [
                "Booking one person against the floors (medians, same run):",
                "",
                f"- Booking one person ÷ KTC answering a route that does nothing: "
                f"{_ms(booking)} ÷ {_ms(floor, 2)} ms = **{booking / floor:.0f}×**",
                f"- Booking one person ÷ a bare Flask app's response: "
                f"{_ms(booking)} ÷ {_ms(bare_flask, 2)} ms = **{booking / bare_flask:.0f}×**",
                "",
            ]
        lines += [
            "### Feeds against the libraries alone (medians, same run)",
            "",
            "Each cold build and each 304 was interleaved with its baseline, so the machine's load weighs "
            "on both sides alike. A feed's ETag and Last-Modified are stored (`calendar_stamps`, raised in the "
            "transaction of every change a feed shows), so a conditional request is answered from one "
            "query and an unchanged feed is not built again; a changed feed reuses the serialised text "
            "of its unchanged events.",
            "",
            "| Comparison | KTC ms | Baseline ms | Ratio | Target | Met |",
            "|---|---:|---:|---:|---:|:---:|",
            f"| Unit feed ({figures['events']} events) built cold, whole request, vs icalendar serialising "
            f"the same events | {_ms(cold)} | {_ms(bare_ical)} | {cold_ratio:.2f} | ≤ 1.5 | "
            f"{'yes' if cold_ratio <= 1.5 else '**no**'} |",
            f"| The same after a change (unchanged events reused) | {_ms(changed)} | {_ms(bare_ical)} | "
            f"{changed_ratio:.2f} | ≤ 1.5 | {'yes' if changed_ratio <= 1.5 else '**no**'} |",
            f"| Unit feed answered 304 vs a bare Flask app's response | {_ms(answer_304, 2)} | "
            f"{_ms(bare_flask, 2)} | {ratio_304:.1f} | ≤ 2 | {'yes' if ratio_304 <= 2 else '**no**'} |",
            f"| The same 304 vs KTC answering a route that does nothing | {_ms(answer_304, 2)} | "
            f"{_ms(floor, 2)} | {floor_ratio:.1f} | ≤ 2 | {'yes' if floor_ratio <= 2 else '**no**'} |",
            "",
        ]
        if max(changed_ratio, cold_ratio) > 1.5:
            missed.append("feed_build_ratio")
        if ratio_304 > 2:
            missed.append("feed_304_ratio")
        _rush_sections(lines, entry, missed)
        _missed_section(lines, missed, bare_flask)
    lines += [
        "## What this work changed in the app",
        "",
        "- Team booking page: staff loaded with unit, organisation and profession in three queries "
        "(it made one query per person: 313 statements for 300 staff); the POST loads only the ticked "
        "people, and `book_team` reads the manager's units once instead of once per person.",
        "- Skill matrix: upcoming sessions for the gaps found with a window query (first sessions per "
        "skill within the side's quota, plus the few near enough to be released) instead of loading "
        "every planned session with its skills; labels translated and dates formatted once per page, "
        "and each distinct cell rendered once and copied.",
        "- Network view: a year is summed from kept per-session figures (`session_stats`, "
        "`session_skill_stats`, recomputed from the raw rows in the transaction of every attendance, "
        "sign-off and feedback change) in three grouped queries, instead of 24 grouped scans over the "
        "raw rows (later five); the free text is read from the newest answers on, and scrubbed only "
        "as far as it is shown.",
        "- Feeds: a stored validator (`calendar_stamps`: a version per participant, unit, station and "
        "instructor, raised in the transaction of every change a feed shows), so a conditional request "
        "is one query and an unchanged feed is never built twice in a process; a changed feed is read "
        "as plain rows in a fixed number of statements and reuses each unchanged event's serialised "
        "text; feed events carry only what a subscription needs (no ORGANIZER, CREATED, LAST-MODIFIED).",
        "- Booking (HTML form and JSON API): the session comes with its station and centre in one query, "
        "the ticked people with unit and organisation in one (the profession only for the staff list), a "
        "full session's waiting list is not read, the outbox is asked once per message, and the answer is "
        "built from what the request just wrote instead of reloading the user, session, station, centre "
        "and every person after the commit: the HTML POST went from 35 to 21 statements, the API from 34 "
        "to 22 (booking one person into a rush session: in `bench/booking_profile.py`).",
        "- Booking, later (issue 13, 2026-12-01): the units a manager manages come in the query that "
        "loads the user (cookie or token), the waiting list's length with the session, the booking row "
        "and the audit entry are Core INSERTs (the row joins the ORM session as a persistent object, "
        "without a flush), and on PostgreSQL a seat claim that takes nothing returns the counters in the "
        "same statement; the hot writes run on the transaction's connection, past the ORM session's "
        "execute. One person into a full session: API 12 → 9 statements, form 11 → 9; server CPU per "
        "request in the rush, the old and the new code rushed alternately on the same machine: API "
        "8.2 → 5.9 ms, form 9.8 → 7.1 ms (small dataset, three rounds each).",
        "- The rush: an asyncio load generator in a process of its own (all connections opened first, "
        "all requests released together, about 0.2 s of CPU for 500 requests, where 500 threads with "
        "`requests` competed with the server for the same two cores), both the HTML form and the JSON "
        "API, and the server's CPU per request measured from the workers' and PostgreSQL's CPU time.",
        "- Web workers (`gunicorn.conf.py` → `ktc/runtime.py`) freeze the loaded app and make "
        "garbage collections rarer (thresholds 50,000/20/100 instead of 700/10/10): with the defaults, "
        "full collections over a grown heap showed as 0.3–1 s spikes on the large pages.",
        "- `tests/bench/test_query_counts.py` proves the statement counts of every page above are the "
        "same at two data sizes ten times apart, on SQLite and PostgreSQL.",
        "",
    ]
    # The planning model is measured by bench/plan.py, which keeps its section in a file of its own.
    plan = Path(__file__).resolve().parent / "PLAN_RESULTS.md"
    if plan.exists():
        lines += [plan.read_text().rstrip("\n"), ""]
    return "\n".join(lines)
