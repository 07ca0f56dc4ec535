"""Scheduled job: the learning network's digest (monthly by default)."""
import logging

from ktc.network.notify import send_digest
from ktc.network.operations import create_digest

log = logging.getLogger(__name__)


def send_network_digest(now=None):
    """Make the digest for the period since the last one and queue it, in one transaction."""
    digest = create_digest(now=now)
    messages = send_digest(digest) if digest is not None else []
    if digest is not None:
        log.info("network digest %s queued for %d members", digest.id, len(messages))
    return digest


JOBS = [
    {
        "id": "network.send_network_digest",
        "func": send_network_digest,
        "trigger": "cron",
        "day": 1,
        "hour": 6,
        "minute": 0,
        "timezone": "Europe/Stockholm",
        "misfire_grace_time": 6 * 3600,
    },
]
