"""SCIM provisioning: the organisations' tokens and what SCIM knows of a staff record."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db


class ScimToken(db.Model):
    """An organisation's provisioning token (SCIM bearer token), stored as its SHA-256 only."""

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at = mapped_column(UTCDateTime)

    organisation = relationship("Organisation")


class ScimUser(db.Model):
    """What SCIM knows of a staff record beyond the record itself: the provisioning service's
    externalId, the name parts, and whether it was deleted (then every SCIM request answers 404,
    while the staff record, its bookings and signed skills are kept)."""

    __tablename__ = "scim_users"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    deleted_at = mapped_column(UTCDateTime)

    participant = relationship("Participant")
