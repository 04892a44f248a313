"""Test connection in a real browser, on a phone's width and a desktop's: a credential generated
in the workbench is offered on the TLD's Test connection tab; the portal's real mutual-TLS call
to the live MoSAPI mock is refused from 127.0.0.2 with the sentence that names the fix, and
allowed from 127.0.0.1; the result replaces itself in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.conftest import OPERATOR, Mocks, login
from e2e.test_portal import add_entry, open_tld

TLD = "india"


def generate_and_publish(page: Page, client: str) -> None:
    page.goto("/workbench")
    page.get_by_test_id("wb-domain").fill(client)
    page.get_by_test_id("wb-generate").click()
    expect(page.get_by_test_id("wb-generated")).to_be_visible()
    page.get_by_test_id("wb-publish").click()
    expect(page.get_by_test_id("wb-zone")).to_contain_text("IN TLSA 3 1 1")


def call(page: Page, source: str) -> None:
    page.get_by_label("Source address").select_option(source)
    page.get_by_test_id("conn-call").click()
    expect(page.get_by_test_id("connection-result")).to_contain_text(f"--interface {source}")


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_a_generated_credential_refused_then_allowed(
    new_context, live_mocks: Mocks, width: int
) -> None:
    context: BrowserContext = new_context(viewport={"width": width, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    client = f"w{width}.client.{TLD}.e2e.example"
    login(page, OPERATOR)
    open_tld(page, TLD)
    add_entry(page, client, ["mosapi-slam"], "127.0.0.1/32")
    generate_and_publish(page, client)
    open_tld(page, TLD)
    page.get_by_test_id("tab-connection").click()
    form = page.get_by_test_id("connection-form")
    expect(form.get_by_role("radio", name=client)).to_be_checked()
    expect(page.get_by_label("Endpoint, under the role it needs")).to_have_value(
        "mosapi GET /ry/<tld>/v2/monitoring/state"
    )
    no_sideways_scroll(page)

    call(page, "127.0.0.2")
    result = page.get_by_test_id("connection-result")
    expect(result.get_by_test_id("connection-status")).to_contain_text("401")
    expect(result.get_by_test_id("connection-status")).to_contain_text("source-not-in-acl")
    expect(result.get_by_test_id("connection-sentence")).to_have_text(
        f"127.0.0.2 is not in the prefixes of {client} for this role; add it on the TLS client "
        "authentication tab."
    )
    expect(result.get_by_test_id("connection-decision-link")).to_be_visible()
    no_sideways_scroll(page)

    call(page, "127.0.0.1")
    expect(page.get_by_test_id("connection-result")).to_have_count(1)  # replaced, not added
    expect(result.get_by_test_id("connection-status")).to_contain_text("200 OK")
    expect(result.get_by_test_id("connection-status")).to_contain_text("allowed")
    expect(result.get_by_test_id("connection-body")).to_contain_text('"tld"')
    result.get_by_role("button", name="Copy").click()
    expect(result.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("curl -i --cacert ") and copied.endswith(
        f"/ry/{TLD}/v2/monitoring/state"
    )
    no_sideways_scroll(page)
