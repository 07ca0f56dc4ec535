"""Signing in through the municipality's identity provider in a real browser: the login page offers
it, the provider (Node oidc-provider on loopback) asks who you are, KTC lets in the person on the
staff list, refuses the one who is not, and logging out ends the provider's session too."""
import re

import pytest

from ktc.extensions import db
from ktc.sso.models import IdentityProvider
from tests import factories as make
from tests.oidc_server import running_provider

pytestmark = pytest.mark.e2e

ACCOUNTS = {
    "lina": {"email": "lina.ek@gislaved.example", "email_verified": True, "name": "Lina Ek"},
    "okand": {"email": "okand@gislaved.example", "email_verified": True, "name": "Okänd"},
}


@pytest.fixture
def provider_for(live_server, app, monkeypatch):
    """The provider, registered with the live server's addresses, and KTC's row for it."""
    monkeypatch.setitem(app.config, "KTC_BASE_URL", live_server.url)
    monkeypatch.setenv("KTC_OIDC_GISLAVED", "e2e-secret")
    client = {"client_id": "ktc", "client_secret": "e2e-secret", "redirect_uris": [f"{live_server.url}/sso/callback"],
              "post_logout_redirect_uris": [f"{live_server.url}/login"]}
    with running_provider([client], ACCOUNTS) as issuer:
        kommun = make.organisation("municipal", name="Gislaveds kommun")
        make.participant(make.unit(kommun, name="Hemtjänst Anderstorp"), name="Lina Ek",
                         email="lina.ek@gislaved.example")
        db.session.add(IdentityProvider(name="Gislaveds kommun – Entra ID", issuer=issuer, client_id="ktc",
                                        secret_env="KTC_OIDC_GISLAVED", claim="email", organisations=[kommun]))
        db.session.commit()
        yield issuer


def sign_in_at_provider(page, account):
    page.fill("input[name=login]", account)
    page.fill("input[name=password]", "whatever")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.click("button[type=submit]")  # consent
    page.wait_for_load_state()


def test_a_staff_member_signs_in_with_the_municipalitys_identity(journey, provider_for):
    lina = journey.person(phone=True)
    lina.goto("/login")
    journey.check(lina, "01-login-with-providers")
    lina.get_by_role("link", name="Gislaveds kommun – Entra ID").click()
    lina.wait_for_load_state()
    assert lina.url.startswith(provider_for)
    sign_in_at_provider(lina, "lina")

    assert lina.url.rstrip("/") == journey.base
    assert "Lina Ek" in lina.inner_text("body")
    journey.check(lina, "02-signed-in")

    lina.locator("form[action$='/logout'] button").first.click()
    lina.wait_for_url(provider_for + "/session/end**")  # sent on by the logged-out page
    lina.click("button[name=logout]")
    lina.wait_for_load_state()
    assert lina.url.startswith(journey.base + "/login")
    lina.goto("/bookings/mine")
    assert "/login" in lina.url

    # The logged-out page itself: it sends the browser on at once, so it is served here without that
    # refresh (and its button, which goes the same way, stays) to be checked.
    refresh = []

    def without_refresh(route):
        response = route.fetch()
        body = re.sub(r'<meta http-equiv="refresh"[^>]*>', lambda m: refresh.append(m.group()) or "", response.text())
        route.fulfill(response=response, body=body)

    again = journey.person()
    again.goto("/login")
    again.get_by_role("link", name="Gislaveds kommun – Entra ID").click()
    sign_in_at_provider(again, "lina")
    again.route(journey.base + "/logout", without_refresh)
    again.locator("form[action$='/logout'] button").first.click()
    again.wait_for_url(journey.base + "/logout")
    assert "Du är utloggad" in again.inner_text("main h1") and provider_for + "/session/end" in refresh[0]
    assert again.get_by_role("link", name="Logga ut från inloggningstjänsten").get_attribute("href").startswith(
        provider_for + "/session/end")
    journey.check(again, "02b-logged-out-of-ktc")

    stranger = journey.person()
    stranger.goto("/login")
    stranger.get_by_role("link", name="Gislaveds kommun – Entra ID").click()
    sign_in_at_provider(stranger, "okand")
    assert "Be din chef att lägga till dig" in stranger.inner_text("main")
    journey.check(stranger, "03-not-on-a-staff-list")
    # The provider's own development pages load a web font from the internet, which this machine
    # cannot reach; only KTC's pages must be free of console errors.
    # The refusal answers 403 on purpose, which the browser logs too.
    journey.problems[:] = [p for p in journey.problems if not p.startswith(provider_for)
                           and not ("/sso/callback" in p and "status of 403" in p)]
