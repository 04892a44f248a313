"""Why a call works or not, in a real browser: a client refused from an address outside its
entry's prefixes shows up live in the Decisions tab with the sentence that names the fix; the
prefix is added on the TLS client authentication tab; the same call is then allowed, and that
shows up live too. The calls are real mutual-TLS calls to the live MoSAPI mock."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.conftest import OPERATOR, Mocks, Portal, call_mock, login, tlsauth
from e2e.test_portal import add_entry, entry_row, open_tld

TLD = "hotel"
CLIENT = "client.hotel.e2e.example"
PATH = f"/ry/{TLD}/v2/monitoring/state"


def call_from(mocks: Mocks, folder: Path, source: str) -> int:
    """GET the SLAM state over mutual TLS from `source`, as an RSP's client would."""
    return call_mock(mocks, mocks.mosapi, PATH, source, folder / f"{CLIENT}.pem")


def test_a_refusal_seen_live_then_fixed_and_allowed(
    page: Page, live_portal: Portal, live_mocks: Mocks, tmp_path: Path
) -> None:
    tlsauth(live_portal, "cert", "new", CLIENT, "--out", str(tmp_path))
    tlsauth(
        live_portal, "tlsa", str(tmp_path / f"{CLIENT}.pem"), "--publish", "--as", OPERATOR.email
    )
    login(page, OPERATOR)
    open_tld(page, TLD)
    add_entry(page, CLIENT, ["mosapi-slam"], "127.0.0.1/32")

    page.get_by_test_id("tab-decisions").click()
    rows = page.get_by_test_id("decision-row")
    expect(rows).to_have_count(0)

    # Refused from 127.0.0.2: the row appears while the tab stays open, with the fix.
    assert call_from(live_mocks, tmp_path, "127.0.0.2") == 401
    refused = rows.first
    expect(refused).to_be_visible(timeout=15_000)
    expect(refused).to_contain_text("denied")
    expect(refused).to_contain_text("401")
    expect(refused).to_contain_text("mosapi-slam")
    expect(refused).to_contain_text(
        f"127.0.0.2 is not in the prefixes of {CLIENT} for this role; add it on the TLS client "
        "authentication tab."
    )

    page.get_by_test_id("tab-entries").click()
    entry_row(page, CLIENT).get_by_test_id("edit-entry").click()
    editing = page.get_by_test_id("entry-edit-row")
    editing.get_by_test_id("edit-ip-acl").fill("127.0.0.1/32\n127.0.0.2/32")
    editing.get_by_test_id("save-entry").click()
    expect(entry_row(page, CLIENT)).to_contain_text("127.0.0.2/32")

    page.get_by_test_id("tab-decisions").click()
    expect(rows).to_have_count(1)
    assert call_from(live_mocks, tmp_path, "127.0.0.2") == 200
    expect(rows).to_have_count(2, timeout=15_000)
    allowed = rows.first
    expect(allowed).to_contain_text("allowed")
    expect(allowed).to_contain_text("200")
    expect(allowed).to_contain_text(CLIENT)
