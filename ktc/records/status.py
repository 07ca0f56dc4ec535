"""Pure rules for skill validity: valid-until dates and the status of one matrix cell.

Kept free of the database so that every edge can be tested directly.

Definitions (the expiry window is `window_days`, "today" is the centre's local date):
- valid-until is the session's local date plus the skill's refresh interval in months
  (clamped to the month's last day, so 31 August + 6 months is 28/29 February); a skill
  without a refresh interval never expires (valid-until None).
- The valid-until date itself still counts as valid; the day after it the skill is expired.
- `expiring`: valid today, and valid-until is at most `window_days` days away
  (today <= valid_until <= today + window_days).
- `valid`: valid-until is further away than the window, or the skill never expires.
- `expired`: the latest demonstration's valid-until is before today.
- `practised`: practised or needs practice, but never demonstrated.
- `missing`: no record at all.
The latest demonstration (the most recent session's) decides validity: practising again
later neither extends nor cancels a demonstration.
"""
import calendar
from datetime import date, timedelta

VALID = "valid"
EXPIRING = "expiring"
EXPIRED = "expired"
PRACTISED = "practised"
MISSING = "missing"
# Statuses that mean "this person needs training or a refresh".
GAP_STATUSES = (EXPIRING, EXPIRED, PRACTISED, MISSING)


def add_months(day, months):
    """`day` plus whole months, clamped to the last day of the target month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until_for(outcome, refresh_months, signed_day):
    """The valid-until date of a record: only demonstrations of expiring skills have one."""
    if outcome != "demonstrated" or not refresh_months:
        return None
    return add_months(signed_day, refresh_months)


def cell_status(records, today, window_days):
    """The status of one person × skill from their records for that skill.

    `records` are (outcome, valid_until) pairs ordered from the most recent session back.
    Returns (status, valid_until of the latest demonstration or None).
    """
    demonstrated = next((r for r in records if r[0] == "demonstrated"), None)
    if demonstrated is not None:
        valid_until = demonstrated[1]
        if valid_until is None:
            return VALID, None
        if valid_until < today:
            return EXPIRED, valid_until
        if valid_until <= today + timedelta(days=window_days):
            return EXPIRING, valid_until
        return VALID, valid_until
    if records:
        return PRACTISED, None
    return MISSING, None


def is_valid_today(status):
    return status in (VALID, EXPIRING)
