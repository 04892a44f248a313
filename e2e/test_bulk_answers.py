"""A bulk upload's change answered in a real browser: the TLD page's banner, Accept sending the
version its difference was shown against (an edit made on the page meanwhile is a conflict,
not silently overwritten), the entries and version following without a reload, an objection
reaching the RSP's inbox, and the header's unread count.

Works on TLDs of its own (ansone, anstwo) of an operator and an RSP of its own, seeded through
the real `tlsauth` CLI (`tlsauth bulk upload` submits the file)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.conftest import PASSWORD, Account, Portal, login, tlsauth

OPERATOR_ORG = "Answers Registry e2e"
RSP_ORG = "Answers RSP e2e"
OPERATOR = Account("ops@answers.e2e.example")
RSP = Account("rsp@answers.e2e.example")
FILE = (
    "tld,domain_name,roles,ip_acl\n"
    "ansone,client.answers.e2e.example,mosapi-slam;rri-monthly-reports,192.0.2.0/24\n"
    "anstwo,client.answers.e2e.example,mosapi-slam,192.0.2.0/24\n"
)
MARK = "window.__e2eNoReload"


@pytest.fixture(scope="module")
def submitted(live_portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> None:
    tlsauth(live_portal, "org", "create", OPERATOR_ORG, "--kind", "registry-operator")
    tlsauth(live_portal, "org", "create", RSP_ORG, "--kind", "rsp")
    tlsauth(live_portal, "user", "create", OPERATOR.email, "--org", OPERATOR_ORG, stdin=PASSWORD)
    tlsauth(live_portal, "user", "create", RSP.email, "--org", RSP_ORG, stdin=PASSWORD)
    for tld in ("ansone", "anstwo"):
        tlsauth(live_portal, "tld", "add", tld, "--operator", OPERATOR_ORG, "--rsp", RSP_ORG)
    path: Path = tmp_path_factory.mktemp("bulk") / "answers.csv"
    path.write_text(FILE, encoding="utf-8")
    tlsauth(
        live_portal,
        "bulk",
        "upload",
        str(path),
        "--as",
        RSP.email,
        "--attest-name",
        "Rita Sample",
        "--attest-title",
        "Head of Registry Operations",
    )


def signed_in(new_context: Callable[..., BrowserContext], account: Account) -> Page:
    page = new_context().new_page()
    login(page, account)
    return page


def unread(page: Page) -> int:
    label = page.get_by_test_id("nav-inbox").get_attribute("aria-label") or ""
    match = re.fullmatch(r"Inbox(?:, (\d+) unread)?", label)
    assert match, label
    return int(match.group(1) or 0)


def test_accept_sends_the_version_it_was_shown_and_the_page_follows_the_load(
    submitted: None, page: Page
) -> None:
    login(page, OPERATOR)
    page.goto("/tlds/ansone")
    banner = page.get_by_role("region", name=re.compile(r"Bulk upload #\d+ for \.ansone"))
    expect(banner).to_contain_text(f"from {RSP_ORG}")
    expect(banner.get_by_test_id("bulk-diff")).to_contain_text(
        "Added entry client.answers.e2e.example"
    )
    page.evaluate(f"{MARK} = 'still the same document'")
    # An edit on the same page moves the version the page's other forms send…
    page.get_by_test_id("domain-name").fill("mine.answers.e2e.example")
    page.get_by_test_id("ip-acl").fill("203.0.113.0/24")
    page.get_by_test_id("role-mosapi-slam").check()
    page.get_by_test_id("add-entry").click()
    expect(page.get_by_test_id("version-label")).to_have_text("version 2")
    # …but Accept names the configuration its difference was computed on: a conflict.
    banner.get_by_test_id("bulk-accept").click()
    expect(banner.get_by_test_id("bulk-error")).to_contain_text(
        "Nothing was loaded: .ansone changed while you were looking"
    )
    expect(banner.get_by_test_id("bulk-diff")).to_contain_text(
        "Removed entry mine.answers.e2e.example"
    )
    expect(
        page.locator('[data-testid="entry-row"][data-domain="mine.answers.e2e.example"]')
    ).to_be_visible()
    # Accepting what is shown now loads it; the entries and version follow in place.
    banner.get_by_test_id("bulk-accept").click()
    expect(banner.get_by_test_id("bulk-message")).to_contain_text(
        "is loaded; .ansone is now at version 3."
    )
    rows = page.get_by_test_id("entry-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-domain", "client.answers.e2e.example")
    expect(page.get_by_test_id("version-label")).to_have_text("version 3")
    expect(page.locator("#tld-version")).to_have_value("3")
    assert page.evaluate(MARK) == "still the same document"
    page.get_by_test_id("tab-history").click()
    expect(page.get_by_test_id("history-event").first).to_contain_text("via bulk")


def test_an_objection_reaches_the_rsps_inbox_and_opening_it_marks_it_read(
    submitted: None, new_context: Callable[..., BrowserContext]
) -> None:
    rsp = signed_in(new_context, RSP)
    before = unread(rsp)
    operator = signed_in(new_context, OPERATOR)
    operator.goto("/tlds/anstwo")
    banner = operator.get_by_test_id("bulk-banner")
    banner.get_by_text("Object…").click()
    banner.get_by_label(f"Reason, sent to {RSP_ORG} (optional)").fill("Not authorized by us.")
    banner.get_by_test_id("bulk-object").click()
    expect(banner.get_by_test_id("bulk-message")).to_contain_text("will not load for .anstwo")

    rsp.reload()
    assert unread(rsp) == before + 1
    expect(rsp.get_by_test_id("inbox-count")).to_have_text(str(before + 1))
    rsp.get_by_test_id("nav-inbox").click()
    item = rsp.get_by_test_id("inbox-item").first
    expect(item).to_contain_text("Objection to bulk upload")
    expect(item).to_contain_text("Not authorized by us.")
    expect(item.get_by_test_id("unread-mark")).to_be_visible()
    item.get_by_test_id("inbox-open").click()
    expect(rsp).to_have_url(re.compile(r"/tlds/anstwo$"))
    assert unread(rsp) == before
