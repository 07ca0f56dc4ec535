"""The nightly retention purge."""
from ktc.privacy.operations import purge_expired


def purge_personal_data(now=None):
    count = purge_expired(now)
    return count


JOBS = [{"id": "privacy.purge_personal_data", "func": purge_personal_data, "trigger": "cron", "hour": 3, "minute": 15}]
