"""The RSP bulk upload in a real browser, at phone and desktop width: a file with problems
lists each with its line and column; the corrected file is checked in the background (the page
waits on the progress, then shows the preview in place), refused without the attestation,
then attested and submitted; the per-TLD table lists each TLD pending. Nothing reaches past
the window's right edge outside a table's scroll region, and everything runs under the CSP
(the console watch)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import PASSWORD, Account, Portal, login, tlsauth

# Elements of the page that reach past the right edge of the window.
OVERFLOWING = """(limit) => [...document.querySelectorAll('main *')]
    .filter((el) => !el.closest('.table-scroll') && el.getBoundingClientRect().right > limit)
    .map((el) => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right}`)"""


def _rsp(portal: Portal, width: int) -> tuple[Account, list[str]]:
    """An RSP of its own (the one-time rule allows each one submit) with two TLDs of an
    operator of its own (other tests count the shared operator's TLDs)."""
    org, email = f"Bulk RSP {width}", f"bulk-{width}@rsp.e2e.example"
    operator = f"Bulk Registry {width}"
    tlds = [f"bulk{width}a", f"bulk{width}b"]
    tlsauth(portal, "org", "create", org, "--kind", "rsp")
    tlsauth(portal, "org", "create", operator, "--kind", "registry-operator")
    tlsauth(portal, "user", "create", email, "--org", org, stdin=PASSWORD + "\n")
    for tld in tlds:
        tlsauth(portal, "tld", "add", tld, "--operator", operator, "--rsp", org)
    return Account(email), tlds


def _choose(page: Page, name: str, text: str) -> None:
    page.get_by_label("Bulk file (CSV or JSON)").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Upload and check").click()


def _fits(page: Page, width: int) -> None:
    assert page.evaluate(OVERFLOWING, width) == []


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_bulk_upload_from_file_to_submitted(page: Page, live_portal: Portal, width: int) -> None:
    account, (one, two) = _rsp(live_portal, width)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, account)
    page.get_by_role("link", name="Bulk upload").click()
    expect(page.get_by_test_id("allowance")).to_have_text("You can submit 1 bulk upload.")
    _fits(page, width)

    header = "tld,domain_name,roles,ip_acl\n"
    _choose(page, "draft.csv", f"{header}{one},client.rsp.example,mosapi-slam,192.0.2.1/24\n")
    problem = page.get_by_test_id("finding-row").first
    expect(problem).to_contain_text("line 2")
    expect(problem).to_contain_text("ip_acl")
    expect(problem).to_contain_text("has host bits set")
    _fits(page, width)

    rows = "".join(
        f"{tld},client.rsp.example,mosapi-slam;rri-monthly-reports,192.0.2.0/24\n"
        for tld in (one, two)
    )
    _choose(page, "entries.csv", header + rows)
    expect(page).to_have_url(re.compile(r"/bulk/uploads/\d+$"))
    expect(page.get_by_test_id("total-tlds")).to_have_text("2")
    expect(page.get_by_test_id("total-entries-added")).to_have_text("2")
    expect(page.get_by_test_id("preview-row")).to_have_count(2)
    _fits(page, width)

    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("attest_name-errors")).to_have_text("Enter your full name.")
    expect(page.get_by_test_id("attest-errors")).to_contain_text("Tick the attestation")
    page.get_by_label(re.compile("^I attest that the registry operator")).check()
    page.get_by_label("Your full name").fill("Grace Hopper")
    page.get_by_label("Your title (job role)").fill("Director, Registry Services")
    page.get_by_test_id("submit").click()

    expect(page.get_by_test_id("attested")).to_have_text(
        "Grace Hopper, Director, Registry Services"
    )
    changes = page.get_by_test_id("change-row")
    expect(changes).to_have_count(2)
    for row in changes.all():
        expect(row).to_contain_text("pending")
    expect(page.get_by_test_id("status-counts")).to_contain_text("2 pending")
    _fits(page, width)
