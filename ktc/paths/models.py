"""Learning paths, their ordered steps, and who is on which path since when."""
from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

STEP_KINDS = ("skill", "module", "circle")
ASSIGNMENT_SOURCES = ("manual", "csv", "auto", "circle")

step_prerequisites = Table(
    "path_step_prerequisites",
    db.metadata,
    Column("step_id", Integer, ForeignKey("path_steps.id", ondelete="CASCADE"), primary_key=True),
    Column("required_step_id", Integer, ForeignKey("path_steps.id", ondelete="CASCADE"), primary_key=True),
)


class LearningPath(db.Model):
    """A named path for a profession, optionally only for units of one kind (by a word in the unit's name)."""

    __tablename__ = "learning_paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("professions.id"), index=True)
    # Matched case-insensitively against unit names ("hemtjänst" matches "Hemtjänst Norra"); empty = any unit.
    unit_kind: Mapped[str] = mapped_column(String(100), default="")
    auto_assign: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    profession = relationship("Profession")
    steps = relationship("PathStep", back_populates="path", order_by="PathStep.position, PathStep.id",
                         cascade="all, delete-orphan")


class PathStep(db.Model):
    __tablename__ = "path_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id"), index=True)
    url: Mapped[str] = mapped_column(String(500), default="")
    material: Mapped[str] = mapped_column(Text, default="")
    # Days from the person's start on the path; the step is late the day after start + due_days.
    due_days: Mapped[int] = mapped_column(default=90)

    path = relationship("LearningPath", back_populates="steps")
    skill = relationship("Skill")
    prerequisites = relationship(
        "PathStep", secondary=step_prerequisites,
        primaryjoin=lambda: PathStep.id == step_prerequisites.c.step_id,
        secondaryjoin=lambda: PathStep.id == step_prerequisites.c.required_step_id,
        order_by="PathStep.position",
    )


class PathAssignment(db.Model):
    """One person on one path since a start date (the due dates count from it)."""

    __tablename__ = "path_assignments"
    __table_args__ = (UniqueConstraint("path_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    start_date = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(10), default="manual")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    path = relationship("LearningPath")
    participant = relationship("Participant")
    completions = relationship("StepCompletion", back_populates="assignment", cascade="all, delete-orphan")


class StepCompletion(db.Model):
    """A module or circle step marked done for one assignment (skill steps are done by their records)."""

    __tablename__ = "path_step_completions"
    __table_args__ = (UniqueConstraint("assignment_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("path_assignments.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("path_steps.id", ondelete="CASCADE"), index=True)
    completed_on = mapped_column(Date, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    assignment = relationship("PathAssignment", back_populates="completions")
    step = relationship("PathStep")


# --- study circles ------------------------------------------------------------------------------

circle_members = Table(
    "study_circle_members",
    db.metadata,
    Column("circle_id", Integer, ForeignKey("study_circles.id", ondelete="CASCADE"), primary_key=True),
    Column("participant_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True),
)

meeting_steps = Table(
    "circle_meeting_steps",
    db.metadata,
    Column("meeting_id", Integer, ForeignKey("circle_meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("step_id", Integer, ForeignKey("path_steps.id", ondelete="CASCADE"), primary_key=True),
)

MEETING_STATUSES = ("scheduled", "cancelled")


def _new_uid():
    import uuid

    return uuid.uuid4().hex


class StudyCircle(db.Model):
    """A study circle working through a path's modules, led by a facilitator (an instructor)."""

    __tablename__ = "study_circles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id", ondelete="CASCADE"), index=True)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    path = relationship("LearningPath")
    facilitator = relationship("User")
    members = relationship("Participant", secondary=circle_members, order_by="Participant.name")
    meetings = relationship("CircleMeeting", back_populates="circle", order_by="CircleMeeting.start_at",
                            cascade="all, delete-orphan")


class CircleMeeting(db.Model):
    """One meeting of a circle at a workplace: invitations use its UID and SEQUENCE like sessions do."""

    __tablename__ = "circle_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("study_circles.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=_new_uid)
    start_at = mapped_column(UTCDateTime, nullable=False)
    end_at = mapped_column(UTCDateTime, nullable=False)
    location: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    circle = relationship("StudyCircle", back_populates="meetings")
    steps = relationship("PathStep", secondary=meeting_steps, order_by="PathStep.position")
    attendance = relationship("CircleAttendance", back_populates="meeting", cascade="all, delete-orphan")


class CircleAttendance(db.Model):
    __tablename__ = "circle_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("circle_meetings.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    attended: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    meeting = relationship("CircleMeeting", back_populates="attendance")
    participant = relationship("Participant")
