"""The Decisions tab in a real browser on a phone's width and a desktop's: real calls to the
live mocks are listed without sideways scrolling, the filter form narrows them with the active
filter shown as removable chips, a decision opens in place and leads back to the same filter."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.conftest import OPERATOR, Mocks, Portal, call_mock, login, tlsauth

TLD = "kilo"
CLIENT = "a-rather-long-client-name.rsp-services.kilo.e2e.example"


def no_sideways_scroll(page: Page) -> None:
    """Neither the page nor, on a phone, the log's own region scrolls sideways: each decision
    reads as a card there."""
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width <= 600:
        regions = page.locator(".table-scroll")
        for i in range(regions.count()):
            assert regions.nth(i).evaluate("r => r.scrollWidth <= r.clientWidth"), i


@pytest.fixture(scope="module")
def calls(live_portal: Portal, live_mocks: Mocks, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("layout")
    tlsauth(live_portal, "cert", "new", CLIENT, "--out", str(folder))
    cert = folder / f"{CLIENT}.pem"
    state = f"/ry/{TLD}/v2/monitoring/state"
    status = f"/info/report/registry-functions-activity/{TLD}/2026-01"
    assert call_mock(live_mocks, live_mocks.mosapi, state, "127.0.0.2", cert) == 401
    assert call_mock(live_mocks, live_mocks.rri, status, "127.0.0.1", None) == 401


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_log_reads_on_a_phone_and_a_desktop(new_context, calls, width: int) -> None:
    context: BrowserContext = new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    login(page, OPERATOR)
    page.goto(f"/tlds/{TLD}/decisions")
    rows = page.get_by_test_id("decision-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("denied")
    expect(rows.first).to_contain_text("rri-monthly-reports")
    expect(rows.nth(1)).to_contain_text(f"CN={CLIENT}")
    expect(rows.nth(1)).to_contain_text(f".{TLD} has no TLS client authentication entries")
    no_sideways_scroll(page)

    page.get_by_label("Result").select_option("denied")
    page.get_by_label("Source address").fill("127.0.0.2")
    page.get_by_test_id("apply-filter").click()
    chips = page.get_by_test_id("filter-chip")
    expect(chips).to_have_count(2)
    expect(page.get_by_test_id("active-filter")).to_contain_text("from 127.0.0.2")
    expect(rows).to_have_count(1)
    no_sideways_scroll(page)

    page.get_by_test_id("decision-link").click()
    detail = page.get_by_test_id("decision-detail")
    expect(detail).to_contain_text("status 401 sent")
    expect(detail).to_contain_text("mosapi-slam")
    expect(detail.get_by_test_id("decision-curl")).to_contain_text("--interface 127.0.0.2")
    no_sideways_scroll(page)

    page.get_by_test_id("back-to-decisions").click()
    expect(chips).to_have_count(2)
    chips.filter(has_text="from 127.0.0.2").get_by_role("link").click()
    expect(chips).to_have_count(1)
    expect(rows).to_have_count(2)
    page.get_by_test_id("clear-filter").click()
    expect(page.get_by_test_id("active-filter")).to_have_count(0)
    expect(rows).to_have_count(2)
