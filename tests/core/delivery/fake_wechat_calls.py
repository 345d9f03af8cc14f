"""What the fake WeChat server's tests share: plain GET and POST to it, a mini program token
and a login (the server itself is the `fake` fixture of this folder's conftest)."""

from __future__ import annotations

import requests

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def get(fake, path, **params):
    resp = requests.get(fake.base_url + path, params=params, timeout=5)
    assert resp.status_code == 200
    return resp.json()


def post(fake, path, body, **params):
    resp = requests.post(fake.base_url + path, params=params, json=body, timeout=5)
    assert resp.status_code == 200
    return resp.json()


def mp_token(fake):
    return get(
        fake,
        "cgi-bin/token",
        grant_type="client_credential",
        appid=fake.appid,
        secret=fake.secret,
    )["access_token"]


def login(fake, code):
    return get(
        fake,
        "sns/jscode2session",
        appid=fake.appid,
        secret=fake.secret,
        js_code=code,
        grant_type="authorization_code",
    )
