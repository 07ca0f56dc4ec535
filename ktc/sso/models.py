"""Identity providers (OpenID Connect) and the identities linked to KTC accounts."""
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ktc.database import UTCDateTime, utcnow
from ktc.extensions import db

# What identifies the person in the ID token: the e-mail address, the provider's `sub`, or an
# HSA-id claim (Inera's IdP names it `http://sambi.se/attributes/1/employeeHsaId`; configurable).
CLAIMS = ("email", "sub", "hsa_id")
DEFAULT_HSA_CLAIM = "http://sambi.se/attributes/1/employeeHsaId"

identity_provider_organisations = db.Table(
    "identity_provider_organisations",
    db.Column("provider_id", db.ForeignKey("identity_providers.id", ondelete="CASCADE"), primary_key=True),
    db.Column("organisation_id", db.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class IdentityProvider(db.Model):
    """An OpenID Connect provider. Its client secret is never stored: `secret_env` names the
    environment variable that holds it."""

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    secret_env: Mapped[str] = mapped_column(String(100))
    claim: Mapped[str] = mapped_column(String(10), default="email")
    hsa_claim: Mapped[str] = mapped_column(String(200), default=DEFAULT_HSA_CLAIM)
    # Scopes asked for besides "openid email profile", space-separated (for example the scope that
    # makes Inera's IdP put the HSA-id in the ID token); checked by ktc.sso.operations.clean_scopes.
    extra_scopes: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    organisations = relationship("Organisation", secondary=identity_provider_organisations, order_by="Organisation.name")

    @property
    def metadata_url(self):
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class ExternalIdentity(db.Model):
    """A KTC account linked to one provider's identifier for the person (claim value)."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("identity_providers.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_login_at = mapped_column(UTCDateTime)

    provider = relationship("IdentityProvider")
    user = relationship("User")

