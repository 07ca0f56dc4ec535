"""Scheduled job: feedback requests after completed sessions."""
import logging

from ktc.feedback.operations import request_feedback

log = logging.getLogger(__name__)


def send_feedback_requests(now=None):
    """Create the missing feedback requests and queue their e-mails, in one transaction."""
    created = request_feedback(now=now)
    if created:
        log.info("queued %d feedback requests", len(created))
    return len(created)


JOBS = [
    {"id": "feedback.send_feedback_requests", "func": send_feedback_requests, "trigger": "interval", "minutes": 10},
]
