"""Who a provider's claims are in KTC, without the protocol (the claims as a validated token gives them)."""
import pytest

from ktc.extensions import db
from ktc.sso import operations as ops
from ktc.sso.models import IdentityProvider

HSA = "http://sambi.se/attributes/1/employeeHsaId"


@pytest.fixture
def siths(make):
    region = make.organisation("regional", name="Region Jönköpings län")
    provider = IdentityProvider(name="Region Jönköpings län – SITHS", issuer="https://idp.inera.example",
                                client_id="ktc", secret_env="KTC_OIDC_RJL", claim="hsa_id", organisations=[region])
    db.session.add(provider)
    db.session.flush()
    return provider, make.unit(region, name="VC Rosenlund")


def test_hsa_id_links_on_first_sign_in_and_identifies_afterwards(siths, make):
    provider, unit = siths
    rut = make.participant(unit, name="Rut Region", email="rut@rjl.example")

    first = ops.sign_in(provider, {"sub": "x1", HSA: "SE2321000057-1234", "email": "rut@rjl.example",
                                   "email_verified": True})
    # The address changes at the region; the HSA-id still finds her.
    again = ops.sign_in(provider, {"sub": "x1", HSA: "SE2321000057-1234", "email": "rut.lind@rjl.example"})

    assert first.participant_id == rut.id and again.id == first.id


def test_an_unverified_address_links_nothing_when_the_key_is_another_claim(siths, make):
    provider, unit = siths
    make.participant(unit, email="rut@rjl.example")

    with pytest.raises(ops.NotOnStaffList):
        ops.sign_in(provider, {"sub": "x1", HSA: "SE2321000057-9999", "email": "rut@rjl.example"})


def test_without_the_configured_claim_nobody_is_signed_in(siths):
    provider, _ = siths
    with pytest.raises(ops.SignInRefused):
        ops.sign_in(provider, {"sub": "x1", "email": "rut@rjl.example", "email_verified": True})
