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


def test_the_login_page_lists_providers_in_the_same_statements_for_one_and_many(client, make):
    """Each provider shows the organisations it serves: loaded with the providers, not one by one."""
    from sqlalchemy import event

    def login_page():
        seen = []

        def count(*_args):
            seen.append(1)

        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = client.get("/login").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return page, len(seen)

    def provider(i):
        org = make.organisation("municipal", name=f"Kommun {i}")
        db.session.add(IdentityProvider(name=f"Kommun {i}", issuer=f"https://idp{i}.example", client_id="ktc",
                                        secret_env="KTC_OIDC_TEST", claim="email", organisations=[org]))

    provider(0)
    _, one = login_page()
    for i in range(1, 5):
        provider(i)
    page, many = login_page()

    assert all(f"Kommun {i}" in page for i in range(5))
    assert many == one


def test_extra_scopes_are_checked_words_and_the_always_asked_ones_are_not_repeated(client, login_as, make):
    org = make.organisation("regional", name="Region Jönköpings län")
    login_as(make.user("admin"))

    refused = client.post("/sso/providers/new", data=form(org, extra_scopes='hsa "siths'))
    assert refused.status_code == 422
    assert "En scope är ett ord utan citattecken" in refused.get_data(as_text=True)
    assert db.session.execute(select(IdentityProvider)).first() is None
    too_many = client.post("/sso/providers/new", data=form(org, extra_scopes=" ".join(f"s{i}" for i in range(11))))
    assert too_many.status_code == 422 and "högst 10" in too_many.get_data(as_text=True)

    saved = client.post("/sso/providers/new", data=form(org, extra_scopes="openid  hsa https://sambi.se/hsa hsa"))
    assert saved.status_code == 302
    provider = db.session.execute(select(IdentityProvider)).scalar_one()
    assert provider.extra_scopes == "hsa https://sambi.se/hsa"
    edit = client.get(f"/sso/providers/{provider.id}/edit").get_data(as_text=True)
    assert 'value="hsa https://sambi.se/hsa"' in edit
