"""Scheduled jobs of the records feature (collected by ktc/scheduler.py)."""
from ktc.records.digest import send_expiry_digests
from ktc.records.operations import complete_finished_sessions


def expiry_digest(now=None):
    """Queue managers' expiry digests; the period in the outbox key makes it once per period."""
    queued = send_expiry_digests(now=now)
    return len(queued)


def auto_complete_sessions(now=None):
    """Complete sessions the instructor forgot to complete, some hours after their end."""
    done = complete_finished_sessions(now=now)
    return len(done)


JOBS = [
    # Runs daily; the digest itself goes out once per period (weekly by default), so a day
    # the scheduler was down only delays it.
    {"id": "records.expiry_digest", "func": expiry_digest, "trigger": "cron", "hour": 6, "minute": 30,
     "misfire_grace_time": 3600, "coalesce": True},
    {"id": "records.auto_complete_sessions", "func": auto_complete_sessions, "trigger": "interval",
     "minutes": 15, "misfire_grace_time": 600, "coalesce": True},
]
