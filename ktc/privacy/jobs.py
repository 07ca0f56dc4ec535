"""The nightly retention purge."""
from ktc.extensions import db
from ktc.privacy.operations import purge_expired


def purge_personal_data(now=None):
    try:
        count = purge_expired(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count


JOBS = [{"id": "privacy.purge_personal_data", "func": purge_personal_data, "trigger": "cron", "hour": 3, "minute": 15}]
