"""Two first sign-ins of the same person at once give one account and one link, and both succeed.

Both sign-ins find no link (and, for a person on a staff list, no account), so both write one;
the unique link (provider, subject) and the unique e-mail address of an account let only the
first through. The second must then find what the first wrote and sign in as that account,
instead of failing with an error page. The race is staged on PostgreSQL: the first sign-in has
written but not committed when the second one writes and waits for it.
"""
import threading

import pytest
from sqlalchemy import func, select

from ktc.accounts.models import User
from ktc.extensions import db
from ktc.sso import operations as ops
from ktc.sso.models import ExternalIdentity, IdentityProvider
from tests.staging import wait_for_a_lock_wait

CLAIMS = {"sub": "anna", "email": "anna@gislaved.example", "email_verified": True}


@pytest.fixture
def provider_id(make):
    kommun = make.organisation("municipal", name="Gislaveds kommun")
    provider = IdentityProvider(name="Gislaveds kommun", issuer="https://idp.gislaved.example", client_id="ktc",
                                secret_env="KTC_OIDC_GISLAVED", claim="email", organisations=[kommun])
    db.session.add(provider)
    unit = make.unit(kommun, name="Hemtjänst Norr")
    anna = make.participant(unit, name="Anna Andersson", email=CLAIMS["email"])
    db.session.flush()
    return provider.id, anna


def _race(app):
    """The first sign-in holds its transaction open until the second waits for its lock."""
    db.session.commit()
    both_read = threading.Barrier(2, timeout=30)
    first_written = threading.Event()
    may_commit = threading.Event()
    outcomes = {}

    def sign_in(name, provider_id, hold):
        with app.app_context():
            try:
                provider = db.session.get(IdentityProvider, provider_id)
                # Both see no link yet: the first has not written it.
                assert db.session.execute(select(ExternalIdentity)).first() is None
                both_read.wait()
                if not hold:
                    first_written.wait(timeout=30)
                user = ops.sign_in(provider, dict(CLAIMS))
                if hold:
                    first_written.set()
                    may_commit.wait(timeout=30)
                db.session.commit()
                outcomes[name] = user.id
            except Exception as exc:  # reported by the assertions of the test
                db.session.rollback()
                outcomes[name] = type(exc).__name__
            finally:
                first_written.set()
                db.session.remove()

    return outcomes, first_written, may_commit, sign_in


def _run(app, provider_id):
    outcomes, first_written, may_commit, sign_in = _race(app)
    first = threading.Thread(target=sign_in, args=("first", provider_id, True))
    second = threading.Thread(target=sign_in, args=("second", provider_id, False))
    first.start()
    second.start()
    assert first_written.wait(timeout=30)
    wait_for_a_lock_wait("the second sign-in never waited for the first")
    may_commit.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not first.is_alive() and not second.is_alive()
    db.session.expire_all()
    accounts = db.session.execute(select(func.count()).select_from(User)).scalar_one()
    links = db.session.execute(select(func.count()).select_from(ExternalIdentity)).scalar_one()
    return outcomes, accounts, links


@pytest.fixture
def postgres_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time, so the race is staged on PostgreSQL "
                    "(tests/sso/test_operations.py covers linking on both databases)")


@pytest.mark.parametrize("has_account", [False, True], ids=["staff-record", "existing-account"])
def test_two_first_sign_ins_at_once_share_one_account(app, provider_id, make, postgres_only, has_account):
    pid, anna = provider_id
    if has_account:
        make.participant_user(anna, email=CLAIMS["email"])

    outcomes, accounts, links = _run(app, pid)

    assert isinstance(outcomes["first"], int) and outcomes["second"] == outcomes["first"], outcomes
    assert (accounts, links) == (1, 1)


def test_control_without_the_guard_the_second_sign_in_fails(app, provider_id, postgres_only, monkeypatch):
    """The control: with the retry switched off the test sees the race (the second sign-in fails with
    the Conflict that create_user makes of the unique address, an error page for the person)."""
    monkeypatch.setitem(app.config, "KTC_SSO_LINK_GUARD", False)
    pid, _anna = provider_id

    outcomes, accounts, links = _run(app, pid)

    assert isinstance(outcomes["first"], int) and outcomes["second"] == "Conflict", outcomes
    assert (accounts, links) == (1, 1)
