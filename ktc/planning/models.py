"""Training needs (stated by managers or derived from records), decisions on derived needs,
and the planning inputs about instructors."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

NEED_SOURCES = ("stated", "derived")
NEED_STATUSES = ("open", "covered", "met")

need_participants = db.Table(
    "need_participants",
    db.Column("need_id", db.ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
    db.Column("participant_id", db.ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True),
)

instructor_skills = db.Table(
    "instructor_skills",
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("skill_id", db.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class Need(db.Model):
    """What a unit needs trained: a skill, how many people (or which), by a month."""

    __tablename__ = "needs"
    __table_args__ = (CheckConstraint("people >= 1", name="need_people_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    people: Mapped[int] = mapped_column()
    # The first day of the month by which the training is needed.
    month = mapped_column(Date, nullable=False, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default="stated")
    # For derived needs: the worst status among the people counted (expired, expiring, practised, missing).
    urgency: Mapped[str] = mapped_column(String(10), default="missing")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    covered_session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    unit = relationship("Unit")
    skill = relationship("Skill")
    created_by = relationship("User")
    covered_session = relationship("Session")
    named = relationship("Participant", secondary=need_participants, order_by="Participant.name")

    @property
    def name(self):
        return self.skill.name


class DerivedDecision(db.Model):
    """A manager's answer to a derived need; `fingerprint` names the facts it was given for, so a
    dismissed need comes back only when those facts change."""

    __tablename__ = "derived_decisions"
    __table_args__ = (UniqueConstraint("unit_id", "skill_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    month = mapped_column(Date, nullable=False)
    decision: Mapped[str] = mapped_column(String(10))
    fingerprint: Mapped[str] = mapped_column(String(64))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class InstructorAvailability(db.Model):
    """A recurring weekly window in which an instructor can lead sessions (centre local time)."""

    __tablename__ = "instructor_availability"
    __table_args__ = (CheckConstraint("weekday >= 0 AND weekday <= 6", name="availability_weekday"),
                      CheckConstraint("end_time > start_time", name="availability_end_after_start"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column()
    start_time = mapped_column(Time, nullable=False)
    end_time = mapped_column(Time, nullable=False)


class InstructorAbsence(db.Model):
    """Days an instructor cannot lead sessions, whatever the weekly availability says."""

    __tablename__ = "instructor_absences"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="absence_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    first_day = mapped_column(Date, nullable=False)
    last_day = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), default="")


class InstructorLimit(db.Model):
    """The most sessions an instructor leads in one day (absent row: the configured default)."""

    __tablename__ = "instructor_limits"
    __table_args__ = (CheckConstraint("max_sessions_per_day >= 1", name="limit_positive"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    max_sessions_per_day: Mapped[int] = mapped_column(default=2)
