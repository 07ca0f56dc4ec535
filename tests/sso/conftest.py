"""A real OpenID Provider (Node `oidc-provider`, tests/js/oidc_server.mjs) on a loopback port."""
import re
from urllib.parse import urlsplit

import pytest
import requests

from ktc.extensions import db
from ktc.sso.models import IdentityProvider
from tests.oidc_server import running_provider

CALLBACK = "https://ktc.example.org/sso/callback"
CLIENT_ID, CLIENT_SECRET = "ktc", "s3cret-for-tests"
# Accounts the provider knows: id -> claims (the id is also `sub`).
ACCOUNTS = {
    "anna": {"email": "anna@gislaved.example", "email_verified": True, "name": "Anna Andersson"},
    "bodil": {"email": "bodil@gislaved.example", "email_verified": True, "name": "Bodil Berg"},
    "okand": {"email": "okand@gislaved.example", "email_verified": True, "name": "Okänd Person"},
    "rut": {"email": "rut@rjl.example", "email_verified": True, "name": "Rut Region", "hsa_id": "SE2321000057-1234"},
    "admin": {"email": "admin@ktc.example", "email_verified": True, "name": "KTC Admin"},
}


@pytest.fixture(scope="session")
def oidc_issuer():
    """The provider, once per test process; its issuer URL."""
    clients = [
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [CALLBACK],
         "post_logout_redirect_uris": ["https://ktc.example.org/login"]},
        {"client_id": "other-app", "client_secret": "other", "redirect_uris": [CALLBACK]},
    ]
    with running_provider(clients, ACCOUNTS) as issuer:
        yield issuer


@pytest.fixture
def idp(oidc_issuer, monkeypatch, make):
    """An identity provider row for the test provider, serving one municipality."""
    monkeypatch.setenv("KTC_OIDC_TEST", CLIENT_SECRET)
    kommun = make.organisation("municipal", name="Gislaveds kommun")
    provider = IdentityProvider(name="Gislaveds kommun", issuer=oidc_issuer, client_id=CLIENT_ID,
                                secret_env="KTC_OIDC_TEST", claim="email", organisations=[kommun])
    db.session.add(provider)
    db.session.commit()
    return provider


class Browser:
    """Walks the sign-in as a browser would: KTC through the Flask test client, the provider
    through HTTP (its dev login and consent forms)."""

    def __init__(self, client):
        self.client = client
        self.http = requests.Session()

    def start(self, provider):
        response = self.client.get(f"/sso/login/{provider.id}")
        assert response.status_code == 302, response.status_code
        return response.headers["Location"]

    def authorize(self, authorization_url, account):
        """Log in at the provider and consent; the callback URL the provider sends the browser to."""
        response = self.http.get(authorization_url, allow_redirects=True, timeout=10)
        for prompt, data in (("login", {"login": account, "password": "x"}), ("consent", {})):
            assert f'name="prompt" value="{prompt}"' in response.text, response.text[:500]
            action = re.search(r'action="([^"]+)"', response.text).group(1)
            response = self.http.post(requests.compat.urljoin(response.url, action),
                                      data={"prompt": prompt, **data}, allow_redirects=False, timeout=10)
            while response.is_redirect and not response.headers["Location"].startswith(CALLBACK):
                response = self.http.get(requests.compat.urljoin(response.url, response.headers["Location"]),
                                         allow_redirects=False, timeout=10)
            if response.is_redirect:
                return response.headers["Location"]
        raise AssertionError("the provider never sent the browser back")

    def finish(self, callback_url):
        parts = urlsplit(callback_url)
        return self.client.get(f"{parts.path}?{parts.query}")

    def sign_in(self, provider, account):
        return self.finish(self.authorize(self.start(provider), account))


@pytest.fixture
def browser(client):
    browser = Browser(client)
    yield browser
    browser.http.close()
