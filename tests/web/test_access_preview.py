"""The preview under the add and edit entry forms: which (domain name, role, prefix)
combinations a save would give or take access, before anything is saved."""

from __future__ import annotations

import html
import re

import pytest

from infra.database import db
from portal.core.validation import Entry
from portal.models import Tld
from tests.helpers import HTMX, set_entries

DOMAIN = "client.rsp.example"


def version(app, name="alpha") -> int:
    with app.app_context():
        return db.session.query(Tld).filter_by(name=name).one().version


def entry_id(app, name="alpha") -> int:
    with app.app_context():
        return db.session.query(Tld).filter_by(name=name).one().entries[0].id


@pytest.fixture
def alpha(app, world):
    set_entries(app, [Entry(DOMAIN, ("mosapi-slam",), ("192.0.2.0/24", "::1/128"))])
    set_entries(app, [Entry("b.example", ("mosapi-slam",), ("192.0.2.0/24",))], "beta")
    return entry_id(app)


def changes(response, kind: str) -> set[str]:
    body = html.unescape(response.get_data(as_text=True))
    return set(re.findall(rf'data-testid="access-{kind}-row" data-change="([^"]+)"', body))


def preview_edit(client, token, entry: int, roles, acl: str, tld: str = "alpha"):
    return client.post(
        f"/tlds/{tld}/entries/{entry}/preview",
        data={"roles": list(roles), "ip_acl": acl},
        headers={**HTMX, "X-CSRFToken": token},
    )


def test_the_edit_row_asks_for_a_preview_as_the_user_types(client, world, login, alpha):
    login(world.op_a)
    row = client.get(f"/tlds/alpha/entries/{alpha}/edit", headers=HTMX).get_data(as_text=True)
    preview = re.search(r'<div id="entry-\d+-preview"[^>]*>', row).group(0)
    assert f'hx-post="/tlds/alpha/entries/{alpha}/preview"' in preview
    assert 'hx-trigger="input delay:400ms from:closest tr"' in preview
    assert 'hx-include="closest tr"' in preview and 'aria-live="polite"' in preview


def test_an_edit_shows_what_is_gained_and_lost_and_saves_nothing(app, client, world, login, alpha):
    token = login(world.op_a)
    before = version(app)
    answer = preview_edit(
        client, token, alpha, ["mosapi-slam", "mosapi-daar"], "192.0.2.0/25\n2001:db8::/48"
    )
    assert answer.status_code == 200
    assert changes(answer, "gained") == {
        f"{DOMAIN} mosapi-daar 192.0.2.0/25",
        f"{DOMAIN} mosapi-daar 2001:db8::/48",
        f"{DOMAIN} mosapi-slam 2001:db8::/48",
    }
    assert changes(answer, "lost") == {
        f"{DOMAIN} mosapi-slam 192.0.2.0/24",
        f"{DOMAIN} mosapi-slam ::1/128",
    }
    assert "except 192.0.2.0/25, which keeps access" in html.unescape(answer.get_data(as_text=True))
    assert version(app) == before
    with app.app_context():
        tld = db.session.query(Tld).filter_by(name="alpha").one()
        assert tld.entries[0].roles == ["mosapi-slam"]


def test_an_edit_that_changes_nobodys_access_says_so(client, world, login, alpha):
    token = login(world.op_a)
    same = preview_edit(client, token, alpha, ["mosapi-slam"], "::1\n192.0.2.128/25\n192.0.2.0/25")
    assert 'data-testid="access-preview-none"' in same.get_data(as_text=True)


def test_an_edit_that_would_be_refused_shows_why(client, world, login, alpha):
    token = login(world.op_a)
    body = html.unescape(
        preview_edit(client, token, alpha, [], "192.0.2.1/24").get_data(as_text=True)
    )
    assert "Not saved as it stands" in body
    assert "Choose at least one role" in body and "192.0.2.1/24" in body


def test_a_new_entry_gains_everything_it_grants(app, client, world, login, alpha):
    token = login(world.op_a)
    before = version(app)
    form = client.get("/tlds/alpha", headers=HTMX).get_data(as_text=True)
    assert 'hx-post="/tlds/alpha/entries/preview"' in form
    assert 'hx-trigger="input delay:500ms from:closest form"' in form
    answer = client.post(
        "/tlds/alpha/entries/preview",
        data={"domain_name": "New.Example.", "roles": ["probe-node-list"], "ip_acl": "127.0.0.2"},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert changes(answer, "gained") == {"new.example probe-node-list 127.0.0.2/32"}
    assert changes(answer, "lost") == set()
    for incomplete in (
        {"domain_name": DOMAIN, "roles": ["mosapi-daar"], "ip_acl": "::1"},  # exists already
        {"domain_name": "new.example", "roles": [], "ip_acl": "::1"},
        {"domain_name": "", "roles": ["mosapi-daar"], "ip_acl": "::1"},
    ):
        pending = client.post(
            "/tlds/alpha/entries/preview", data=incomplete, headers={**HTMX, "X-CSRFToken": token}
        )
        assert 'data-testid="access-preview-pending"' in pending.get_data(as_text=True)
    assert version(app) == before


def test_previews_need_csrf_and_the_tld(app, client, world, login, alpha):
    token = login(world.op_a)
    data = {"roles": ["mosapi-slam"], "ip_acl": "::1"}
    assert (
        client.post(f"/tlds/alpha/entries/{alpha}/preview", data=data, headers=HTMX).status_code
        == 400
    )
    beta_entry = entry_id(app, "beta")
    assert preview_edit(client, token, beta_entry, ["mosapi-slam"], "::1").status_code == 404
    assert (
        preview_edit(client, token, beta_entry, ["mosapi-slam"], "::1", "beta").status_code == 404
    )
