"""The week planner's time grid: hours down, days (one station) or stations (one day) across.

Built on the server: every block gets a grid row and a span in SLOT_MINUTES steps, as CSS classes
(`at-N`, `len-N` in static/css/planner.css), because the CSP allows no inline styles. The columns
keep the sessions in time order in the DOM, so that a screen reader (or a phone, where the grid
stacks) reads each day as a list.
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

# One grid row per quarter of an hour; a free slot (a link to plan a session) per half hour.
SLOT_MINUTES = 15
FREE_SLOT_MINUTES = 30
# planner.css has classes for this many rows (a whole day of quarters) and lanes.
MAX_ROWS = 24 * 60 // SLOT_MINUTES
MAX_LANES = 4
DEFAULT_HOURS = (time(8, 0), time(17, 0))


@dataclass
class Block:
    session: object
    start: datetime  # local
    end: datetime
    row: int
    span: int
    lane: int = 0
    lanes: int = 1

    @property
    def cancelled(self):
        return self.session.status == "cancelled"


@dataclass
class FreeSlot:
    start: time
    row: int
    span: int
    url: str


@dataclass
class Column:
    day: object
    station: object = None
    today: bool = False
    closed: str | None = None  # the reason ("" when closed without one); None when open
    hours: object = None
    shades: list = field(default_factory=list)  # (row, span) outside the opening hours
    blocks: list = field(default_factory=list)
    free: list = field(default_factory=list)
    plan_url: str | None = None


@dataclass
class Grid:
    first_minute: int
    rows: int
    columns: list

    @property
    def axis(self):
        """(row, label) for every full hour."""
        return [(1 + (m - self.first_minute) // SLOT_MINUTES, f"{m // 60:02d}:00")
                for m in range(self.first_minute, self.first_minute + self.rows * SLOT_MINUTES, 60)]


def _minutes(clock):
    return clock.hour * 60 + clock.minute


def time_range(hours_by_weekday, local_sessions):
    """First and last minute of the day shown: the week's widest opening hours and every session,
    on whole hours."""
    opens = [_minutes(h.opens) for h in hours_by_weekday.values()]
    closes = [_minutes(h.closes) for h in hours_by_weekday.values()]
    for start, end in local_sessions:
        opens.append(_minutes(start.time()))
        closes.append(24 * 60 if end.date() > start.date() else _minutes(end.time()))
    first = min(opens) if opens else _minutes(DEFAULT_HOURS[0])
    last = max(closes) if closes else _minutes(DEFAULT_HOURS[1])
    first, last = first // 60 * 60, min(-(-last // 60) * 60, 24 * 60)
    return first, max(last, first + 60)


def _row(minute, first):
    return 1 + max(minute - first, 0) // SLOT_MINUTES


def _place(blocks):
    """Sessions that overlap in one column (a cancelled one and its replacement) side by side."""
    lanes_end = []
    for block in sorted(blocks, key=lambda b: (b.row, b.session.id)):
        lane = next((i for i, end in enumerate(lanes_end) if end <= block.row), None)
        if lane is None:
            lane = len(lanes_end)
            lanes_end.append(0)
        lanes_end[lane] = block.row + block.span
        block.lane = min(lane, MAX_LANES - 1)
    for block in blocks:
        block.lanes = min(len(lanes_end), MAX_LANES)


def build_column(column, sessions, tz, first, last, now, new_url=None):
    """Fill one column (a day, optionally for one station) with blocks, shading and free slots."""
    zone = ZoneInfo(tz)
    rows = (last - first) // SLOT_MINUTES
    for session in sessions:
        start, end = session.start_at.astimezone(zone), session.end_at.astimezone(zone)
        start_min = _minutes(start.time())
        end_min = 24 * 60 if end.date() > start.date() else _minutes(end.time())
        row = min(_row(start_min, first), rows)
        span = max(1, min(-(-(end_min - max(start_min, first)) // SLOT_MINUTES), rows - row + 1))
        column.blocks.append(Block(session, start, end, row, span))
    _place(column.blocks)
    if column.closed is not None or column.hours is None:
        column.shades = [(1, rows)]
        return column
    opens, closes = _minutes(column.hours.opens), _minutes(column.hours.closes)
    if opens > first:
        column.shades.append((1, (opens - first) // SLOT_MINUTES))
    if closes < last:
        column.shades.append((_row(closes, first), (last - closes) // SLOT_MINUTES))
    if new_url is None:
        return column
    busy = [(b.start, b.end) for b in column.blocks if not b.cancelled]
    query = {"day": column.day.isoformat()}
    if column.station is not None:
        query = {"station_id": column.station.id, **query}
    # The column's part of the query once; each slot adds its start ("08%3A30", as urlencode writes it).
    prefix = f"{new_url}?{urlencode(query)}&start="
    minute = max(opens, first)
    while minute + FREE_SLOT_MINUTES <= closes:
        start = datetime.combine(column.day, time(minute // 60, minute % 60), tzinfo=zone)
        end = start + timedelta(minutes=FREE_SLOT_MINUTES)
        if start > now and not any(s < end and e > start for s, e in busy):
            column.free.append(FreeSlot(start.time(), _row(minute, first), FREE_SLOT_MINUTES // SLOT_MINUTES,
                                        f"{prefix}{minute // 60:02d}%3A{minute % 60:02d}"))
        minute += FREE_SLOT_MINUTES
    return column
