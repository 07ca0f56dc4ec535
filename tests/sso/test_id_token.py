"""The ID token's checks, with tokens signed here: the real provider never mints bad ones.

Each case breaks exactly one thing in an otherwise good token, so a test fails when its check
is removed from `validate_id_token` (checked by hand for each: see the commit message).
"""
import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from ktc.sso.operations import IdTokenRejected, validate_id_token

ISSUER, CLIENT_ID, NONCE = "https://idp.example.org", "ktc", "n-0S6_WzA2Mj"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, not the provider's
JWKS = {"keys": [KEY.as_dict(private=False)]}


def claims(**changes):
    now = int(time.time())
    base = {"iss": ISSUER, "sub": "anna", "aud": CLIENT_ID, "exp": now + 300, "iat": now, "nonce": NONCE,
            "email": "anna@example.org"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload, key=KEY, alg="RS256"):
    return jwt.encode({"alg": alg, "kid": "k1"}, payload, key)


def check(token, nonce=NONCE):
    return validate_id_token(token, jwks=JWKS, issuer=ISSUER, client_id=CLIENT_ID, nonce=nonce)


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_good_token_gives_its_claims():
    assert check(sign(claims()))["email"] == "anna@example.org"


@pytest.mark.parametrize("token", [
    pytest.param(lambda: sign(claims(iss="https://evil.example.org")), id="wrong issuer"),
    pytest.param(lambda: sign(claims(aud="another-app")), id="wrong audience"),
    pytest.param(lambda: sign(claims(aud=["another-app"], azp=CLIENT_ID)), id="audience only in azp"),
    pytest.param(lambda: sign(claims(exp=int(time.time()) - 3600)), id="expired"),
    pytest.param(lambda: sign(claims(nbf=int(time.time()) + 3600)), id="not yet valid"),
    pytest.param(lambda: sign(claims(), key=OTHER_KEY), id="bad signature"),
    pytest.param(lambda: f"{b64({'alg': 'none', 'kid': 'k1'})}.{b64(claims())}.", id="alg none"),
    pytest.param(lambda: sign(claims(), key=OctKey.import_key(json.dumps(JWKS["keys"][0]).encode()), alg="HS256"),
                 id="HS256 keyed with the public key"),
    pytest.param(lambda: sign(claims(nonce=None)), id="missing nonce"),
    pytest.param(lambda: sign(claims(nonce="someone-elses")), id="wrong nonce"),
])
def test_a_broken_token_is_refused(token):
    with pytest.raises(IdTokenRejected):
        check(token())


def test_no_expected_nonce_refuses_even_a_good_token():
    """Authlib skips the nonce check when the caller has none: KTC never lets that happen."""
    with pytest.raises(IdTokenRejected):
        check(sign(claims()), nonce=None)
