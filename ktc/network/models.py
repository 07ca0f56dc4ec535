"""Digests for the learning network, kept in the app, and the per-session figures it sums."""
from sqlalchemy import Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db
from ktc.organisations.models import SIDES

FEEDBACK_FIELDS = (
    "overall", "relevance", "confidence_before", "confidence_after", "confidence_gain", "learned_other_side",
)


class NetworkDigest(db.Model):
    __tablename__ = "network_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start = mapped_column(UTCDateTime, nullable=False)
    period_end = mapped_column(UTCDateTime, nullable=False, unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    content_json: Mapped[str] = mapped_column(Text, default="{}")


def side_columns(side):
    """The per-side figures of a session, in the order the network sums them.

    Attendees (attended bookings), skills demonstrated (records of someone booked into the
    session, on their booking's side), feedback requests and responses, then per feedback
    answer its sum and the number of people who gave it (for averages over the answers given).
    """
    names = [f"attended_{side}", f"demonstrated_{side}", f"requests_{side}", f"responses_{side}"]
    for name in FEEDBACK_FIELDS:
        names += [f"{name}_sum_{side}", f"{name}_n_{side}"]
    return names


STAT_COLUMNS = tuple(name for side in SIDES for name in side_columns(side))


def _counter(name):
    return db.Column(name, Integer, nullable=False, server_default="0")


# The network view sums a year of sessions: reading 7,000 of these rows instead of the
# 270,000 bookings, records and answers behind them is what keeps it fast. They are kept by
# ktc.network.stats.refresh_session_stats, called in the same transaction as every change
# (attendance, sign-off, feedback request and answer), for every session whatever its status;
# the network picks the completed ones when it reads them.
session_stats = db.Table(
    "session_stats",
    db.Column("session_id", db.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    *(_counter(name) for name in STAT_COLUMNS),
)

# Skills demonstrated per session, skill and side: for the per-skill figures and the skill filter.
session_skill_stats = db.Table(
    "session_skill_stats",
    db.Column("session_id", db.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    db.Column("skill_id", db.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
    *(_counter(f"demonstrated_{side}") for side in SIDES),
)
