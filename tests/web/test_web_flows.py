"""Portal flows through the test client: CSRF, entries, conflicts, credentials, history, login."""

from __future__ import annotations

import re

import pytest

from infra.database import db
from portal.models import AuditEvent, BasicAccount, Tld
from tests.helpers import HTMX, PASSWORD, csrf_from


def version(app, name="alpha") -> int:
    with app.app_context():
        return db.session.query(Tld).filter_by(name=name).one().version


def add(
    client, token, version_, domain="client.example", roles=("mosapi-slam",), acl="127.0.0.1/32"
):
    return client.post(
        "/tlds/alpha/entries",
        data={"domain_name": domain, "roles": list(roles), "ip_acl": acl, "version": str(version_)},
        headers={**HTMX, "X-CSRFToken": token},
    )


def entry_id(app, domain: str, name="alpha") -> int:
    with app.app_context():
        tld = db.session.query(Tld).filter_by(name=name).one()
        return next(e.id for e in tld.entries if e.domain_name == domain)


# --------------------------------------------------------------------------- CSRF
# Every state-changing route without a token: tests/web/test_csrf_every_route.py.


def test_login_form_requires_csrf(client, world):
    response = client.post("/login", data={"email": world.op_a, "password": PASSWORD})
    assert response.status_code == 400


def test_csrf_token_from_htmx_header_is_accepted(app, client, world, login):
    token = login(world.op_a)
    assert add(client, token, version(app)).status_code == 200


# --------------------------------------------------------------------------- entries


def test_add_entry_normalises_and_records_history(app, client, world, login):
    token = login(world.op_a)
    r = add(
        client,
        token,
        1,
        domain="Bücher.Example.",
        roles=("rri-monthly-reports", "mosapi-slam"),
        acl="127.0.0.1\n2001:DB8::/48\n127.0.0.1/32",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "xn--bcher-kva.example" in html
    assert "Added entry xn--bcher-kva.example" in html
    assert r.headers["Vary"] and "HX-Request" in r.headers["Vary"]
    with app.app_context():
        tld = db.session.query(Tld).filter_by(name="alpha").one()
        assert tld.version == 2
        [entry] = tld.entries
        assert entry.roles == ["rri-monthly-reports", "mosapi-slam"]  # table order
        assert entry.ip_acl == ["127.0.0.1/32", "2001:db8::/48"]
        [event] = db.session.query(AuditEvent).all()
        assert (event.channel, event.actor, event.version_after) == ("ui", world.op_a, 2)
    history = client.get("/tlds/alpha/history", headers=HTMX).get_data(as_text=True)
    assert (
        "Added entry xn--bcher-kva.example with roles rri-monthly-reports, mosapi-slam" in history
    )


def test_invalid_entry_is_refused_with_reasons_and_input_kept(app, client, world, login):
    token = login(world.op_a)
    r = add(client, token, 1, domain="bad_name.example", roles=(), acl="192.0.2.1/24")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert r.headers["HX-Retarget"] == "#add-entry"
    assert "underscore is allowed only as the first character" in html
    assert "did you mean 192.0.2.0/24?" in html
    assert "Choose at least one role." in html
    assert 'value="bad_name.example"' in html and "192.0.2.1/24</textarea>" in html
    assert version(app) == 1


def test_duplicate_domain_refused(app, client, world, login):
    token = login(world.op_a)
    assert add(client, token, 1).status_code == 200
    r = add(client, token, 2)
    assert r.status_code == 422 and "already has an entry" in r.get_data(as_text=True)
    assert version(app) == 2


def test_inline_check_reports_as_user_types(app, client, world, login):
    token = login(world.op_a)
    h = {**HTMX, "X-CSRFToken": token}
    r = client.post(
        "/tlds/alpha/entries/check?field=ip_acl", data={"ip_acl": "10.1.2.3/8"}, headers=h
    )
    assert "did you mean 10.0.0.0/8?" in r.get_data(as_text=True)
    r = client.post(
        "/tlds/alpha/entries/check?field=ip_acl", data={"ip_acl": "127.0.0.1/32"}, headers=h
    )
    body = r.get_data(as_text=True)
    assert 'class="warning"' in body and "loopback" in body and 'class="error"' not in body
    r = client.post(
        "/tlds/alpha/entries/check?field=domain_name",
        data={"domain_name": "_x.c.example"},
        headers=h,
    )
    assert "subjectAltName" in r.get_data(as_text=True)
    r = client.post("/tlds/alpha/entries/check?field=nope", data={}, headers=h)
    assert r.status_code == 400


def test_edit_in_place_and_remove(app, client, world, login):
    token = login(world.op_a)
    add(client, token, 1)
    eid = entry_id(app, "client.example")
    h = {**HTMX, "X-CSRFToken": token}
    edit = client.get(f"/tlds/alpha/entries/{eid}/edit", headers=h).get_data(as_text=True)
    assert 'data-testid="entry-edit-row"' in edit and 'value="mosapi-slam" checked' in edit
    r = client.post(
        f"/tlds/alpha/entries/{eid}",
        headers=h,
        data={"roles": ["mosapi-daar"], "ip_acl": "198.51.100.0/24", "version": "2"},
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "mosapi-daar" in html and "198.51.100.0/24" in html
    assert 'id="tld-version" name="version" value="3" hx-swap-oob="true"' in html
    bad = client.post(
        f"/tlds/alpha/entries/{eid}", headers=h, data={"roles": [], "ip_acl": "", "version": "3"}
    )
    assert bad.status_code == 422 and "Choose at least one role." in bad.get_data(as_text=True)
    assert version(app) == 3
    r = client.post(f"/tlds/alpha/entries/{eid}/delete", headers=h, data={"version": "3"})
    assert r.status_code == 200 and "Removed entry client.example" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Tld).filter_by(name="alpha").one().entries == []
    history = client.get("/tlds/alpha/history", headers=HTMX).get_data(as_text=True)
    assert "Removed entry client.example" in history
    assert "client.example: roles added: mosapi-daar" in history
    assert "client.example: prefixes removed: 127.0.0.1/32" in history


def test_remove_without_javascript_uses_a_confirmation_page(app, client, world, login):
    token = login(world.op_a)
    add(client, token, 1)
    eid = entry_id(app, "client.example")
    page = client.get(f"/tlds/alpha/entries/{eid}/delete").get_data(as_text=True)
    assert "Remove entry?" in page
    r = client.post(
        f"/tlds/alpha/entries/{eid}/delete", data={"version": "2", "csrf_token": csrf_from(page)}
    )
    assert r.status_code == 200 and "Removed entry client.example" in r.get_data(as_text=True)


# --------------------------------------------------------------------------- conflicts


def test_second_save_gets_a_conflict_showing_what_changed(app, world, login):
    first, second = app.test_client(), app.test_client()
    t1, t2 = login(world.op_a, client=first), login(world.icann, client=second)
    assert add(first, t1, 1, domain="first.example").status_code == 200
    r = add(second, t2, 1, domain="second.example")
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "Not saved: this TLD changed since you opened it" in html
    assert "you had version 1; it is now version 2" in html
    assert world.op_a in html and "Added entry first.example" in html
    assert 'value="second.example"' in html  # the user's input is kept
    assert version(app) == 2
    with app.app_context():
        names = [e.domain_name for e in db.session.query(Tld).filter_by(name="alpha").one().entries]
    assert names == ["first.example"]
    # the same user, after loading the current version, saves fine
    assert add(second, t2, 2, domain="second.example").status_code == 200


def test_conflicting_edit_and_remove_change_nothing(app, world, login):
    first, second = app.test_client(), app.test_client()
    t1, t2 = login(world.op_a, client=first), login(world.rsp, client=second)
    add(first, t1, 1)
    eid = entry_id(app, "client.example")
    h2 = {**HTMX, "X-CSRFToken": t2}
    r = second.post(
        f"/tlds/alpha/entries/{eid}",
        headers=h2,
        data={"roles": ["mosapi-daar"], "ip_acl": "198.51.100.0/24", "version": "1"},
    )
    assert r.status_code == 409 and 'data-testid="conflict"' in r.get_data(as_text=True)
    r = second.post(f"/tlds/alpha/entries/{eid}/delete", headers=h2, data={"version": "1"})
    assert r.status_code == 409 and "Added entry client.example" in r.get_data(as_text=True)
    with app.app_context():
        [entry] = db.session.query(Tld).filter_by(name="alpha").one().entries
        assert entry.roles == ["mosapi-slam"] and entry.ip_acl == ["127.0.0.1/32"]
    assert version(app) == 2


# --------------------------------------------------------------------------- credentials


def test_passwords_are_hashed_never_shown_and_audited_without_secrets(app, client, world, login):
    token = login(world.op_a)
    h = {**HTMX, "X-CSRFToken": token}
    secret = "Sup3r-secret-passphrase"
    r = client.post(
        "/tlds/alpha/credentials/password",
        headers=h,
        data={"kind": "ry", "password": secret, "confirm": secret, "version": "1"},
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Password of alpha_ry saved" in html
    assert secret not in html
    page = client.get("/tlds/alpha?tab=credentials").get_data(as_text=True)
    assert secret not in page and "Password set" in page
    with app.app_context():
        account = db.session.query(BasicAccount).one()
        assert account.username == "alpha_ry"
        assert secret not in account.password_hash and account.password_hash.startswith(
            ("scrypt:", "pbkdf2:")
        )
        events = db.session.query(AuditEvent).all()
        assert all(secret not in str(e.before) + str(e.after) for e in events)
        assert all(account.password_hash not in str(e.after) for e in events)
    r = client.post(
        "/tlds/alpha/credentials/password",
        headers=h,
        data={"kind": "ry", "password": secret + "2", "confirm": secret + "2", "version": "2"},
    )
    assert r.status_code == 200
    history = client.get("/tlds/alpha/history", headers=HTMX).get_data(as_text=True)
    assert "Password of alpha_ry set" in history and "Password of alpha_ry rotated" in history


@pytest.mark.parametrize(
    "password, confirm, message",
    [
        ("short", "short", "at least 12"),
        ("long-enough-pass", "different-pass", "differ"),
        ("has:colon-in-it", "has:colon-in-it", "without"),
    ],
)
def test_bad_passwords_refused(app, client, world, password, confirm, message, login):
    token = login(world.op_a)
    r = client.post(
        "/tlds/alpha/credentials/password",
        headers={**HTMX, "X-CSRFToken": token},
        data={"kind": "dea", "password": password, "confirm": confirm, "version": "1"},
    )
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert version(app) == 1


def test_basic_acl_saved_normalised_and_refused_when_bad(app, client, world, login):
    token = login(world.op_a)
    h = {**HTMX, "X-CSRFToken": token}
    r = client.post(
        "/tlds/alpha/credentials/acl", headers=h, data={"basic_ip_acl": "0.0.0.0/0", "version": "1"}
    )
    assert r.status_code == 422 and "would admit every address" in r.get_data(as_text=True)
    r = client.post(
        "/tlds/alpha/credentials/acl",
        headers=h,
        data={"basic_ip_acl": "192.0.2.0/24, 192.0.2.7", "version": "1"},
    )
    assert r.status_code == 200
    with app.app_context():
        assert db.session.query(Tld).filter_by(name="alpha").one().basic_ip_acl == ["192.0.2.0/24"]


# --------------------------------------------------------------------------- pages


def test_list_search_and_pagination(app, client, world, login):
    from portal.services import directory

    with app.app_context():
        for i in range(60):
            directory.add_tld(db.session, f"zz{i:02d}", "Operator A")
    login(world.op_a)
    first = client.get("/tlds").get_data(as_text=True)
    assert "Page 1 of 2" in first and "61 TLDs" in first
    second = client.get("/tlds?page=2", headers=HTMX).get_data(as_text=True)
    assert "Page 2 of 2" in second and "<html" not in second
    found = client.get("/tlds?q=zz05", headers=HTMX).get_data(as_text=True)
    assert "1 TLD matching" in found and ">.zz05<" in found
    by_operator = client.get("/tlds?q=operator%20a", headers=HTMX).get_data(as_text=True)
    assert "61 TLDs" in by_operator
    literal = client.get("/tlds?q=z_", headers=HTMX).get_data(as_text=True)
    assert "0 TLDs" in literal  # "_" is matched literally, not as a wildcard


def test_list_row_shows_entry_count_roles_and_last_change(app, client, world, login):
    token = login(world.op_a)
    add(client, token, 1, roles=("mosapi-daar", "probe-node-list"))
    html = client.get("/tlds?q=alpha", headers=HTMX).get_data(as_text=True)
    row = re.search(r'<tr data-testid="tld-row">(.*?)</tr>', html, re.S).group(1)
    assert (
        "<td>1</td>" in row and "mosapi-daar" in row and "probe-node-list" in row and "UTC" in row
    )


def test_security_headers_and_no_inline_script(app, client, world, login):
    login(world.op_a)
    for path in ("/login", "/tlds", "/tlds/alpha", "/tlds/alpha?tab=credentials", "/tokens"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        html = r.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"\son[a-z]+=", html), path
        assert r.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_flags(app, client, world):
    page = client.get("/login").get_data(as_text=True)
    r = client.post(
        "/login", data={"email": world.op_a, "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = app.test_client()
    page = https.get("/login", base_url="https://localhost").get_data(as_text=True)
    r = https.post(
        "/login",
        base_url="https://localhost",
        data={"email": world.op_a, "password": PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert "Secure" in r.headers["Set-Cookie"]


def test_logout_ends_the_session(app, client, world, login):
    token = login(world.op_a)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/tlds").status_code == 302


def test_login_failures_are_rate_limited(app, client, world):
    page = client.get("/login").get_data(as_text=True)
    token = csrf_from(page)
    codes = [
        client.post(
            "/login", data={"email": world.op_a, "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    r = client.post("/login", data={"email": world.op_a, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "Too many failed sign-ins" in r.get_data(as_text=True)


def test_login_does_not_redirect_off_site(app, client, world):
    page = client.get("/login?next=https://evil.example/").get_data(as_text=True)
    r = client.post(
        "/login?next=https://evil.example/",
        data={"email": world.op_a, "password": PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert r.headers["Location"].endswith("/tlds")


def test_api_tokens_page_shows_token_once_and_revokes(app, client, world, login):
    token = login(world.op_a)
    r = client.post("/tokens", data={"name": "ci", "csrf_token": token})
    html = r.get_data(as_text=True)
    api_token = re.search(r"(tla_[A-Za-z0-9_-]+)", html).group(1)
    assert (
        client.get("/api/v1/tlds", headers={"Authorization": f"Bearer {api_token}"}).status_code
        == 200
    )
    listing = client.get("/tokens").get_data(as_text=True)
    assert api_token not in listing and api_token[:10] in listing
    tid = re.search(r"/tokens/(\d+)/revoke", listing).group(1)
    client.post(f"/tokens/{tid}/revoke", data={"csrf_token": token})
    assert (
        client.get("/api/v1/tlds", headers={"Authorization": f"Bearer {api_token}"}).status_code
        == 401
    )


def test_adding_an_entry_works_without_javascript(app, client, world, login):
    login(world.op_a)
    page = client.get("/tlds/alpha").get_data(as_text=True)
    # The form carries the version it was rendered with, once: the only version a post
    # without JavaScript sends.
    start = page.index("<form", page.index('id="add-entry"'))
    form = page[start : page.index("</form>", start)]
    assert form.count('name="version"') == 1 and 'name="version" value="1"' in form
    assert "hx-include" not in form.split(">", 1)[0]  # under HTMX too, no second copy
    r = client.post(
        "/tlds/alpha/entries",
        data={
            "domain_name": "nojs.example",
            "roles": ["mosapi-slam"],
            "ip_acl": "127.0.0.1/32",
            "version": "1",
            "csrf_token": csrf_from(page),
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" in html and "Added entry nojs.example" in html
    stale = client.post(
        "/tlds/alpha/entries",
        data={
            "domain_name": "late.example",
            "roles": ["mosapi-slam"],
            "ip_acl": "127.0.0.1/32",
            "version": "1",
            "csrf_token": csrf_from(page),
        },
    )
    assert stale.status_code == 409 and "Not saved" in stale.get_data(as_text=True)
    assert version(app) == 2
