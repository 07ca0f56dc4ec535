"""Skill records: what a participant practised or demonstrated, signed by an instructor."""
from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

OUTCOMES = ("practised", "demonstrated", "needs_practice")


class SkillRecord(db.Model):
    __tablename__ = "skill_records"
    __table_args__ = (
        UniqueConstraint("participant_id", "skill_id", "session_id"),
        # Whether a person holds a later demonstration of a skill, answered from the index alone
        # (the dashboard's expiring skills ask it for every record that runs out soon).
        Index("ix_skill_records_person_skill_outcome_valid", "participant_id", "skill_id", "outcome", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Set for `demonstrated` on a skill with a refresh interval. Indexed: what runs out soon is read
    # by range (the admin's dashboard, the expiry digests).
    valid_until = mapped_column(Date, index=True)

    participant = relationship("Participant")
    skill = relationship("Skill")
    session = relationship("Session")
    signed_by = relationship("User")
