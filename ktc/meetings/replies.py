"""Calendar answers to meeting invitations: the contact's PARTSTAT becomes their attendance answer.

Called by ktc.calendar.replies for a REPLY whose UID is a meeting's (…-meeting@domain), so one
mailbox and one reader serve sessions and meetings alike.
"""
from flask import current_app

from ktc.meetings.operations import invitation_from, meeting_for_uid, record_answer

SUFFIX = "-meeting"


def meeting_for(uid):
    domain = current_app.config["KTC_MAIL_DOMAIN"].lower()
    local, _at, host = uid.rpartition("@")
    if not local.endswith(SUFFIX) or host.lower() != domain:
        return None
    return meeting_for_uid(local[: -len(SUFFIX)])


def apply_reply(meeting, sender, attendee, sequence, partstat, now):
    """(outcome, reason) of one meeting reply from `sender` (already checked to be the attendee)."""
    invitation = invitation_from(meeting, sender)
    if invitation is None or invitation.ical_sequence == 0:
        return "rejected", "unknown_attendee"
    if sequence is not None and sequence < invitation.ical_sequence:
        return "rejected", "stale_sequence"
    answer = {"ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined"}.get(partstat)
    if answer is None:
        return "rejected", "unsupported_partstat"
    if meeting.status == "cancelled":
        return "unchanged", "meeting_cancelled"
    if invitation.cancelled_at is not None:
        return "unchanged", "invitation_withdrawn"
    if invitation.answer == answer:
        return "unchanged", "same_answer"
    record_answer(invitation, answer, now)
    return "applied", answer


