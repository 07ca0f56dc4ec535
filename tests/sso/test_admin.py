"""Admins configure identity providers and switch KTC passwords off per organisation."""
from sqlalchemy import select

from ktc.extensions import db
from ktc.sso.models import IdentityProvider


def form(org, **changes):
    data = {"name": "Jönköpings kommun", "issuer": "https://login.microsoftonline.com/tenant/v2.0",
            "client_id": "abc", "secret_env": "KTC_OIDC_JKPG", "claim": "email", "hsa_claim": "",
            "organisation_ids": [str(org.id)], "active": "y"}
    data.update(changes)
    return data


def test_admin_adds_a_provider_whose_secret_stays_in_the_environment(client, login_as, make):
    org = make.organisation("municipal", name="Jönköpings kommun")
    login_as(make.user("admin"))

    response = client.post("/sso/providers/new", data=form(org))

    assert response.status_code == 302
    provider = db.session.execute(select(IdentityProvider)).scalar_one()
    assert provider.secret_env == "KTC_OIDC_JKPG" and [o.name for o in provider.organisations] == ["Jönköpings kommun"]
    assert "Jönköpings kommun" in client.get("/login").get_data(as_text=True)


def test_the_secret_cannot_be_taken_from_another_variable(client, login_as, make):
    """Otherwise an admin page could send SECRET_KEY to a provider of its choosing."""
    org = make.organisation("municipal")
    login_as(make.user("admin"))

    response = client.post("/sso/providers/new", data=form(org, secret_env="SECRET_KEY"))

    assert response.status_code == 422
    assert "KTC_OIDC_" in response.get_data(as_text=True)
    assert db.session.execute(select(IdentityProvider)).first() is None


def test_admin_switches_local_passwords_off_and_on(client, login_as, make):
    org = make.organisation("municipal", name="Vaggeryds kommun")
    login_as(make.user("admin"))

    client.post(f"/sso/organisations/{org.id}/local-passwords", data={"allowed": "0"})
    db.session.refresh(org)
    assert org.local_passwords is False
    client.post(f"/sso/organisations/{org.id}/local-passwords", data={"allowed": "1"})
    db.session.refresh(org)
    assert org.local_passwords is True


def test_admin_makes_a_provisioning_token_shown_once(client, login_as, make):
    from ktc.scim.models import ScimToken

    org = make.organisation("municipal", name="Vaggeryds kommun")
    login_as(make.user("admin"))

    page = client.post(f"/sso/organisations/{org.id}/scim-token").get_data(as_text=True)

    token = page.split("<code>scim_")[1].split("</code>")[0]
    assert "https://ktc.example.org/scim/v2" in page
    assert client.get("/scim/v2/Users", headers={"Authorization": f"Bearer scim_{token}"}).status_code == 200
    assert db.session.execute(select(ScimToken.organisation_id)).scalar_one() == org.id
