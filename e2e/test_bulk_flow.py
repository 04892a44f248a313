"""The bulk process from both sides in one browser session each: the RSP uploads a file with a
bad row (the problem is shown by line and column), fixes it, previews, attests and submits; the
registry operator finds the notification in its inbox, objects for one TLD and accepts the
other; the RSP then reads both answers in its inbox and on the upload's page.

An operator, an RSP and two TLDs of their own (flowone, flowtwo), seeded through the real
`tlsauth` CLI."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.conftest import PASSWORD, Account, Portal, login, tlsauth

OPERATOR_ORG = "Flow Registry e2e"
RSP_ORG = "Flow RSP e2e"
OPERATOR = Account("ops@flow.e2e.example")
RSP = Account("rsp@flow.e2e.example")
TLDS = ("flowone", "flowtwo")
HEADER = "tld,domain_name,roles,ip_acl\n"


@pytest.fixture(scope="module")
def parties(live_portal: Portal) -> None:
    tlsauth(live_portal, "org", "create", OPERATOR_ORG, "--kind", "registry-operator")
    tlsauth(live_portal, "org", "create", RSP_ORG, "--kind", "rsp")
    tlsauth(live_portal, "user", "create", OPERATOR.email, "--org", OPERATOR_ORG, stdin=PASSWORD)
    tlsauth(live_portal, "user", "create", RSP.email, "--org", RSP_ORG, stdin=PASSWORD)
    for tld in TLDS:
        tlsauth(live_portal, "tld", "add", tld, "--operator", OPERATOR_ORG, "--rsp", RSP_ORG)


def signed_in(new_context: Callable[..., BrowserContext], account: Account) -> Page:
    page = new_context().new_page()
    login(page, account)
    return page


def upload(page: Page, name: str, text: str) -> None:
    page.get_by_label("Bulk file (CSV or JSON)").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Upload and check").click()


def row_of(page: Page, tld: str):
    return page.get_by_test_id("change-row").filter(has=page.locator(f'[data-tld="{tld}"]'))


def test_rsp_submits_and_the_registry_objects_to_one_tld_and_accepts_the_other(
    parties: None, new_context: Callable[..., BrowserContext]
) -> None:
    one, two = TLDS
    rsp = signed_in(new_context, RSP)
    rsp.get_by_role("link", name="Bulk upload").click()

    # A file with one bad row: nothing is staged, the problem is placed.
    good = f"{one},client.flow.e2e.example,mosapi-slam,192.0.2.0/24\n"
    upload(
        rsp, "entries.csv", f"{HEADER}{good}{two},client.flow.e2e.example,mosapi-slam,10.1.2.3/8\n"
    )
    findings = rsp.get_by_test_id("finding-row")
    expect(findings.first).to_contain_text("line 3")
    expect(findings.first).to_contain_text("ip_acl")
    expect(findings.first).to_contain_text("has host bits set")

    # Fixed: checked, previewed, attested, submitted.
    upload(
        rsp,
        "entries.csv",
        f"{HEADER}{good}{two},client.flow.e2e.example,mosapi-slam,198.51.100.0/24\n",
    )
    expect(rsp.get_by_test_id("total-tlds")).to_have_text("2")
    expect(rsp.get_by_test_id("preview-row")).to_have_count(2)
    rsp.get_by_label(re.compile("^I attest that the registry operator")).check()
    rsp.get_by_label("Your full name").fill("Rita Sample")
    rsp.get_by_label("Your title (job role)").fill("Head of Registry Operations")
    rsp.get_by_test_id("submit").click()
    expect(rsp.get_by_test_id("status-counts")).to_contain_text("2 pending")
    upload_url = rsp.url

    # The registry operator is told: the header's count, then the inbox.
    operator = signed_in(new_context, OPERATOR)
    expect(operator.get_by_test_id("inbox-count")).to_have_text("1")
    operator.get_by_test_id("nav-inbox").click()
    item = operator.get_by_test_id("inbox-item").first
    expect(item).to_contain_text(f"{RSP_ORG} submitted TLS client authentication data")
    item.get_by_test_id("inbox-open").click()
    expect(operator).to_have_url(upload_url)

    # Object to one TLD's change, with a reason; accept the other's.
    row = row_of(operator, one)
    row.get_by_text("Object…").click()
    row.get_by_label("Reason (optional)").fill("We did not authorize .flowone.")
    row.get_by_test_id("change-object").click()
    expect(row_of(operator, one)).to_contain_text("objected")
    row_of(operator, two).get_by_test_id("change-accept").click()
    expect(row_of(operator, two)).to_contain_text("accepted")
    operator.goto(f"/tlds/{two}")
    expect(operator.get_by_test_id("entry-row")).to_have_count(1)
    operator.goto(f"/tlds/{one}")
    expect(operator.get_by_test_id("entry-row")).to_have_count(0)

    # The RSP reads both answers.
    rsp.goto(upload_url)
    expect(rsp.get_by_test_id("status-counts")).to_contain_text("1 objected")
    expect(rsp.get_by_test_id("status-counts")).to_contain_text("1 accepted")
    rsp.get_by_test_id("nav-inbox").click()
    items = rsp.get_by_test_id("inbox-item")
    expect(items.filter(has_text="Objection to bulk upload")).to_contain_text(
        "We did not authorize .flowone."
    )
    expect(items.filter(has_text="accepted and loaded")).to_have_count(1)
