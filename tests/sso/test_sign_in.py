"""Sign-in through a real OpenID Provider: linking on first sign-in, refusals, logout."""
import html
import re

from sqlalchemy import select

from ktc.accounts.models import User
from ktc.audit.models import AuditEntry
from ktc.extensions import db
from ktc.sso.models import ExternalIdentity


def refusals():
    return [e.details for e in db.session.execute(select(AuditEntry).where(AuditEntry.action == "sso_refused")).scalars()]


def test_staff_member_without_account_gets_a_participant_account(browser, idp, make):
    unit = make.unit(idp.organisations[0], name="Hemtjänst Norr")
    anna = make.participant(unit, name="Anna Andersson", email="anna@gislaved.example")
    db.session.commit()

    response = browser.sign_in(idp, "anna")

    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    user = db.session.execute(select(User).where(User.email == "anna@gislaved.example")).scalar_one()
    assert user.role == "participant" and user.participant_id == anna.id
    assert browser.client.get("/bookings/mine").status_code == 200
    assert db.session.execute(select(ExternalIdentity.subject)).scalar_one() == "anna@gislaved.example"


def test_existing_account_is_linked_by_email_and_keeps_its_role(browser, idp, make):
    unit = make.unit(idp.organisations[0], name="Hemtjänst Syd")
    manager = make.manager(unit, email="bodil@gislaved.example")
    db.session.commit()

    assert browser.sign_in(idp, "bodil").status_code == 302

    db.session.refresh(manager)
    assert manager.role == "manager" and manager.last_login_at is not None
    assert browser.client.get("/bookings/team").status_code == 200
    assert db.session.execute(select(ExternalIdentity.user_id)).scalar_one() == manager.id


def test_someone_on_no_staff_list_is_told_to_ask_their_manager_and_no_account_is_made(browser, idp):
    response = browser.sign_in(idp, "okand")

    assert response.status_code == 403
    assert "Be din chef" in response.get_data(as_text=True)
    assert db.session.execute(select(User)).first() is None
    assert '"reason": "not_on_staff_list"' in refusals()[0]
    assert browser.client.get("/bookings/mine").status_code == 302  # not logged in


def test_a_provider_cannot_bring_in_another_organisations_person(browser, idp, make):
    """Rut is on the region's staff list; the municipality's provider vouches for her address."""
    region_unit = make.unit(make.organisation("regional", name="Region Jönköpings län"), name="VC Rosenlund")
    rut = make.participant(region_unit, name="Rut Region", email="rut@rjl.example")
    make.participant_user(rut, email="rut@rjl.example")
    db.session.commit()

    response = browser.sign_in(idp, "rut")

    assert response.status_code == 403
    assert '"reason": "other_organisation"' in refusals()[0]
    assert browser.client.get("/bookings/mine").status_code == 302


def test_a_provider_never_signs_in_a_ktc_admin(browser, idp, make):
    make.user("admin", email="admin@ktc.example")
    db.session.commit()

    assert browser.sign_in(idp, "admin").status_code == 403
    assert browser.client.get("/users").status_code == 302
    assert '"reason": "other_organisation"' in refusals()[0]


def test_a_deactivated_account_is_refused(browser, idp, make):
    unit = make.unit(idp.organisations[0])
    user = make.participant_user(make.participant(unit, email="anna@gislaved.example"), email="anna@gislaved.example")
    user.active = False
    db.session.commit()

    assert browser.sign_in(idp, "anna").status_code == 403
    assert '"reason": "account_inactive"' in refusals()[0]


def test_the_providers_answer_works_once(browser, idp, make):
    make.participant(make.unit(idp.organisations[0]), email="anna@gislaved.example")
    db.session.commit()
    callback = browser.authorize(browser.start(idp), "anna")
    assert browser.finish(callback).status_code == 302
    browser.client.post("/logout")

    replayed = browser.finish(callback)

    assert replayed.status_code == 400
    assert '"reason": "state"' in refusals()[0]


def test_a_refused_answer_is_spent_too(browser, idp):
    callback = browser.authorize(browser.start(idp), "okand")
    assert browser.finish(callback).status_code == 403

    assert browser.finish(callback).status_code == 400
    assert '"reason": "state"' in refusals()[1]


def test_an_answer_for_another_login_attempt_is_refused(browser, idp, make):
    """The state in the answer must be the one this browser's session sent (login CSRF)."""
    make.participant(make.unit(idp.organisations[0]), email="anna@gislaved.example")
    db.session.commit()
    attackers = browser.authorize(browser.start(idp), "anna")
    browser.start(idp)  # the victim starts a sign-in of their own; the attacker's answer arrives

    assert browser.finish(attackers).status_code == 400
    assert browser.client.get("/bookings/mine").status_code == 302


def test_wrong_issuer_is_refused(browser, idp, make):
    """The configured issuer differs from the one the provider names in its answer (RFC 9207) and
    tokens (test_id_token.py checks the token's `iss` alone)."""
    make.participant(make.unit(idp.organisations[0]), email="anna@gislaved.example")
    idp.issuer = idp.issuer + "/"
    db.session.commit()

    assert browser.sign_in(idp, "anna").status_code == 403
    assert '"reason": "iss"' in refusals()[0]
    assert db.session.execute(select(User)).first() is None


def test_the_session_is_new_after_sign_in(browser, idp, make):
    make.participant(make.unit(idp.organisations[0]), email="anna@gislaved.example")
    db.session.commit()
    with browser.client.session_transaction() as sess:
        sess["planted"] = "by someone before the login"
    browser.sign_in(idp, "anna")
    with browser.client.session_transaction() as sess:
        assert "planted" not in sess and "_user_id" in sess


def test_logout_ends_the_providers_session_too(browser, idp, make):
    make.participant(make.unit(idp.organisations[0]), email="anna@gislaved.example")
    db.session.commit()
    browser.sign_in(idp, "anna")
    response = browser.client.post("/logout")

    # A page sends the browser on (a redirect of the form's POST to another site breaks the CSP).
    assert response.status_code == 200
    location = re.search(r'<a class="button" href="([^"]+)"', response.get_data(as_text=True)).group(1)
    location = html.unescape(location)
    assert location.startswith(idp.issuer + "/session/end?") and "id_token_hint=" in location
    assert browser.client.get("/bookings/mine").status_code == 302
    # The provider accepts it: its logout confirmation, then back to KTC's login page.
    page = browser.http.get(location, timeout=10)
    assert page.status_code == 200 and "logout" in page.text.lower()


def test_organisation_without_local_passwords_signs_in_only_through_its_provider(browser, idp, make, client):
    from ktc.accounts.operations import hash_password

    unit = make.unit(idp.organisations[0])
    user = make.participant_user(make.participant(unit, email="anna@gislaved.example"), email="anna@gislaved.example")
    user.password_hash = hash_password("correct horse battery")
    idp.organisations[0].local_passwords = False
    db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    assert "Gislaveds kommun" in page and f"/sso/login/{idp.id}" in page

    refused = client.post("/login", data={"email": "anna@gislaved.example",
                                          "password": "correct horse battery"})

    assert refused.status_code == 403
    assert client.get("/bookings/mine").status_code == 302
    assert browser.sign_in(idp, "anna").status_code == 302


def test_an_inactive_staff_record_gets_no_account(browser, idp, make):
    """The account the first sign-in would make is rolled back with the refusal."""
    make.participant(make.unit(idp.organisations[0]), email="anna@gislaved.example", active=False)
    db.session.commit()

    assert browser.sign_in(idp, "anna").status_code == 403
    assert db.session.execute(select(User)).first() is None
    assert '"reason": "account_inactive"' in refusals()[0]


def test_the_request_to_the_provider_carries_pkce_state_and_nonce(browser, idp):
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(browser.start(idp)).query)

    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0] and query["response_type"] == ["code"]
    assert query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == ["https://ktc.example.org/sso/callback"]


def test_answers_without_a_sign_in_under_way_are_audited_once_per_period(browser, idp):
    """Anyone can send these at will: the log gets one entry, not a flood."""
    for _ in range(3):
        assert browser.client.get("/sso/callback?code=x&state=y").status_code == 400

    assert len(refusals()) == 1 and '"reason": "state"' in refusals()[0]


def _signed_in_at(browser, provider, account, next_path):
    """Where the browser lands after signing in from a login page that had `next`."""
    from urllib.parse import quote

    start = browser.client.get(f"/sso/login/{provider.id}?next={quote(next_path, safe='')}")
    assert start.status_code == 302
    return browser.finish(browser.authorize(start.headers["Location"], account))


def test_the_page_asked_for_before_login_is_reached_after_the_providers_round_trip(browser, idp, make, client):
    unit = make.unit(idp.organisations[0], name="Hemtjänst Norr")
    make.participant(unit, name="Anna Andersson", email="anna@gislaved.example")
    db.session.commit()
    # The login page hands `next` on to the provider's button.
    login_page = client.get("/login?next=/bookings/mine").get_data(as_text=True)
    assert f'/sso/login/{idp.id}?next=/bookings/mine"' in html.unescape(login_page)

    response = _signed_in_at(browser, idp, "anna", "/bookings/mine?view=list")

    assert response.status_code == 302 and response.headers["Location"] == "/bookings/mine?view=list"


def test_a_next_that_leaves_ktc_is_dropped(browser, idp, make):
    unit = make.unit(idp.organisations[0], name="Hemtjänst Norr")
    make.participant(unit, name="Anna Andersson", email="anna@gislaved.example")
    db.session.commit()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\tx"):
        browser.http.cookies.clear()  # log in at the provider again each time
        response = _signed_in_at(browser, idp, "anna", target)
        assert response.status_code == 302 and response.headers["Location"] == "/", target


def test_a_providers_extra_scope_brings_the_claim_that_identifies_the_person(browser, idp, make):
    """The HSA-id comes only with the provider's `hsa` scope: without it, nobody can be identified."""
    from urllib.parse import parse_qs, urlsplit

    region = make.organisation("regional", name="Region Jönköpings län")
    unit = make.unit(region, name="VC Rosenlund")
    make.participant(unit, name="Rut Region", email="rut@rjl.example")
    idp.organisations, idp.claim, idp.hsa_claim = [region], "hsa_id", "hsa_id"
    db.session.commit()

    response = browser.sign_in(idp, "rut")
    assert response.status_code == 403 and '"detail": "missing claim hsa_id"' in refusals()[0]

    idp.extra_scopes = "hsa"
    db.session.commit()
    browser.http.cookies.clear()  # a new visit to the provider: log in and consent again
    authorization_url = browser.start(idp)
    assert parse_qs(urlsplit(authorization_url).query)["scope"] == ["openid email profile hsa"]
    response = browser.finish(browser.authorize(authorization_url, "rut"))
    assert response.status_code == 302
    assert db.session.execute(select(ExternalIdentity.subject)).scalar_one() == "SE2321000057-1234"
