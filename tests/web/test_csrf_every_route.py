"""Every state-changing route of the portal refuses a change that lacks the CSRF token.

The routes come from the app's URL map, so a new route is checked without editing this file,
or the test fails naming the route it cannot build a request for. Form routes answer with the
portal's "Form expired" page; the API checks the token only for changes riding on the session
cookie (a bearer token is not ambient) and answers with its JSON `csrf_failed` error.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from infra.database import db
from portal.core.validation import Limits
from portal.models import (
    BasicAccount,
    BulkUpload,
    Notification,
    Organisation,
    Tld,
    TlsaRecordRow,
    TlsClientAuthEntry,
    User,
)
from portal.services import bulk_uploads, configuration, notifications, tokens
from tests.conftest import World
from tests.helpers import HTMX, sign_in

CHANGES = ("POST", "PUT", "PATCH", "DELETE")
FORM_REFUSAL = "The form&#39;s security token is missing or stale."
API_REFUSAL = "Send the page's CSRF token in an X-CSRFToken header"

# Who may use a route when it is not ICANN staff: the RSP makes and submits bulk uploads, the
# TLD's operator accepts or objects to its change.
USER_FOR = {
    "bulk.create_upload": "rsp",
    "bulk.submit": "rsp",
    "api.bulk_upload": "rsp",
    "api.bulk_submit": "rsp",
    "bulk.change_accept": "op_a",
    "bulk.change_object": "op_a",
    "api.bulk_accept": "op_a",
    "api.bulk_object": "op_a",
}


@dataclass
class Made:
    """Rows the routes' URL arguments name."""

    entry_id: int
    upload_id: int
    note_id: int
    token_id: int
    record_id: int


def make_rows(app: Flask, world: World) -> Made:
    with app.app_context():
        s = db.session
        staff = s.query(User).filter_by(email=world.icann).one()
        rsp = s.query(User).filter_by(email=world.rsp).one()
        alpha = s.query(Tld).filter_by(name=world.tld_a).one()
        configuration.add_entry(
            s,
            alpha,
            "client.example",
            ["mosapi-slam"],
            "192.0.2.0/24",
            alpha.version,
            configuration.Actor(world.op_a, "ui"),
            Limits(),
        )
        upload = bulk_uploads.create_upload(
            s,
            rsp,
            b"tld,domain_name,roles,ip_acl\r\n",
            filename="a.csv",
            channel="ui",
            max_bytes=1 << 20,
        )
        notifications.notify(s, [staff], "subject", "body", link="/tlds")
        token, _ = tokens.create_token(s, staff, "ci")
        icann = s.query(Organisation).filter_by(name="ICANN").one()
        record = TlsaRecordRow(
            name="_443._tcp.client.example",
            usage=3,
            selector=1,
            matching_type=1,
            data="ab" * 32,
            organisation_id=icann.id,
            created_by=world.icann,
        )
        s.add(record)
        s.commit()
        note = s.query(Notification).filter_by(user_id=staff.id).one()
        entry = s.query(TlsClientAuthEntry).filter_by(domain_name="client.example").one()
        return Made(entry.id, upload.id, note.id, token.id, record.id)


def url_arguments(rule: Rule, world: World, made: Made) -> dict[str, object] | None:
    """A value for each of the rule's arguments, or None if one is unknown here."""
    known: dict[str, object] = {
        "name": world.tld_a,
        "tld": world.tld_a,
        "entry_id": made.entry_id,
        "upload_id": made.upload_id,
        "note_id": made.note_id,
        "token_id": made.token_id,
        "record_id": made.record_id,
    }
    if not rule.arguments <= known.keys():
        return None
    return {arg: known[arg] for arg in rule.arguments}


def changing_rules(app: Flask) -> dict[tuple[str, str], Rule]:
    return {
        (rule.rule, method): rule
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) & set(CHANGES))
    }


def state(app: Flask) -> tuple:
    """What a forged change could alter, to show nothing was."""
    with app.app_context():
        s = db.session
        return (
            sorted((t.name, t.version) for t in s.query(Tld)),
            s.query(TlsClientAuthEntry).count(),
            s.query(BasicAccount).count(),
            sorted((u.id, u.status) for u in s.query(BulkUpload)),
            sorted((n.id, n.read_at is not None) for n in s.query(Notification)),
            s.query(TlsaRecordRow).count(),
        )


def test_every_change_without_csrf_token_is_refused(app, world):
    made = make_rows(app, world)
    clients: dict[str, FlaskClient] = {}

    def client_for(endpoint: str) -> FlaskClient:
        who = USER_FOR.get(endpoint, "icann")
        if who not in clients:
            clients[who] = app.test_client()
            sign_in(clients[who], getattr(world, who))
        return clients[who]

    before = state(app)
    wanted = changing_rules(app)
    assert ("/tokens", "POST") in wanted and ("/api/v1/tlds/<tld>/tls-client-auth", "PUT") in wanted
    checked: set[tuple[str, str]] = set()
    for (path, method), rule in sorted(wanted.items()):
        args = url_arguments(rule, world, made)
        if args is None:
            continue  # named by the final assertion
        with app.test_request_context():
            url = url_for(rule.endpoint, **args)
        client = client_for(rule.endpoint)
        for headers in ({}, HTMX, {**HTMX, "X-CSRFToken": "forged"}):
            response = client.open(url, method=method, data={"version": "1"}, headers=headers)
            body = response.get_data(as_text=True)
            assert response.status_code == 400, (method, url, headers, response.status_code, body)
            if path.startswith("/api/"):
                assert response.get_json()["error"]["code"] == "csrf_failed", (method, url)
                assert API_REFUSAL in response.get_json()["error"]["message"], (method, url)
            else:
                assert FORM_REFUSAL in body, (method, url, headers, body)
        checked.add((path, method))

    unchecked = sorted(set(wanted) - checked)
    assert not unchecked, f"no URL arguments known for these state-changing routes: {unchecked}"
    assert checked == set(wanted)
    assert state(app) == before
    # Still signed in everywhere: the forged logouts did nothing.
    for client in clients.values():
        assert client.get("/tlds").status_code == 200
