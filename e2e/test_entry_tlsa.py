"""Each entry's TLSA status in a real browser, at phone and desktop width: no records, then the
record and who published it, then whether the last certificate the mocks saw matched (after a
real mTLS call to the live MoSAPI mock); the harness CA is a download on the TLD page.

Works on the gTLD .yoga (imported from gtlds.csv) as ICANN staff, who may manage every TLD."""

from __future__ import annotations

import http.client
import ssl
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import ICANN, Mocks, Portal, login, tlsauth
from e2e.test_portal import entry_row, open_tld

TLD = "yoga"
CLIENT = "a-long-client-name.rsp-services.yoga.e2e.example"

# Elements of the tab panel that reach past the right edge of the window.
OVERFLOWING = """(limit) => [...document.querySelectorAll('#tab-panel *')]
    .filter((el) => !el.closest('.table-scroll') && el.getBoundingClientRect().right > limit)
    .map((el) => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right}`)"""


def _call(mocks: Mocks, cert: Path, key: Path) -> int:
    url = urlsplit(mocks.mosapi)
    context = ssl.create_default_context(cafile=str(mocks.ca))
    context.load_cert_chain(str(cert), str(key))
    conn = http.client.HTTPSConnection("localhost", url.port, context=context, timeout=20)
    try:
        conn.request("GET", f"/ry/{TLD}/v2/monitoring/state")
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_entry_tlsa_status(
    page: Page, live_portal: Portal, live_mocks: Mocks, tmp_path: Path, width: int
) -> None:
    name = f"{width}-{CLIENT}"
    page.set_viewport_size({"width": width, "height": 900})
    login(page, ICANN)
    open_tld(page, TLD)
    page.get_by_test_id("domain-name").fill(name)
    page.get_by_test_id("role-mosapi-slam").check()
    page.get_by_test_id("ip-acl").fill("127.0.0.1/32")
    page.get_by_test_id("add-entry").click()
    status = entry_row(page, name).get_by_test_id("entry-tlsa")
    expect(status).to_contain_text("no records")
    expect(status).to_contain_text("no certificate seen for it yet")
    expect(page.get_by_test_id("tld-download-harness-ca")).to_be_visible()

    tlsauth(live_portal, "cert", "new", name, "--out", str(tmp_path))
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    tlsauth(live_portal, "tlsa", str(cert), "--publish", "--as", ICANN.email)
    assert _call(live_mocks, cert, key) == 200

    open_tld(page, TLD)
    status = entry_row(page, name).get_by_test_id("entry-tlsa")
    expect(status).to_contain_text("1 record")
    expect(status).to_contain_text("published by ICANN")
    expect(status.get_by_test_id("last-seen")).to_contain_text("last certificate matched")
    wide = page.evaluate(OVERFLOWING, width + 0.5)
    assert not wide, f"wider than {width}px: {wide}"
    status.get_by_role("link", name="decision").click()
    expect(page.get_by_text(name).first).to_be_visible()
