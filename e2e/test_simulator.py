"""The policy simulator and the edit preview in a real browser, at phone width: what adding or
editing an entry would change shows while typing (nothing saved), and the simulator answers for
a certificate in place — refused from an address outside the entry's prefixes, with the fix,
and allowed from inside them.

Works on the gTLD .zippo (imported from gtlds.csv) as ICANN staff, who may manage every TLD."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.conftest import ICANN, Portal, htmx_settled, login, tlsauth
from e2e.test_portal import entry_row, open_tld

TLD = "zippo"
CLIENT = "client.zippo.e2e.example"
PHONE = {"width": 390, "height": 844}


# The tab's elements that reach past the right edge, outside regions that scroll by themselves.
OVERFLOWING = """(limit) => [...document.querySelectorAll('#tab-panel *')]
    .filter((el) => !el.closest('.table-scroll') && el.getBoundingClientRect().right > limit)
    .map((el) => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right}`)"""


def fits_the_phone(page: Page) -> None:
    wide = page.evaluate(OVERFLOWING, PHONE["width"] + 0.5)
    assert not wide, f"wider than {PHONE['width']}px: {wide}"


def test_preview_and_simulator_at_phone_width(
    page: Page, live_portal: Portal, tmp_path: Path
) -> None:
    tlsauth(live_portal, "cert", "new", CLIENT, "--out", str(tmp_path))
    pem = (tmp_path / f"{CLIENT}.pem").read_text()
    tlsauth(live_portal, "tlsa", str(tmp_path / f"{CLIENT}.pem"), "--publish", "--as", ICANN.email)
    page.set_viewport_size(PHONE)
    login(page, ICANN)
    open_tld(page, TLD)

    # Adding: the preview lists what the entry would grant before it is added.
    page.get_by_test_id("domain-name").fill(CLIENT)
    page.get_by_test_id("role-mosapi-slam").check()
    page.get_by_test_id("ip-acl").fill("127.0.0.1/32")
    gained = page.get_by_test_id("add-preview").get_by_test_id("access-gained-row")
    expect(gained).to_have_count(1)
    expect(gained).to_contain_text("127.0.0.1/32")
    fits_the_phone(page)
    page.get_by_test_id("add-entry").click()
    expect(entry_row(page, CLIENT)).to_be_visible()

    # Editing: moving the prefix shows one loss and one gain; Cancel keeps the entry as it was.
    entry_row(page, CLIENT).get_by_test_id("edit-entry").click()
    editing = page.get_by_test_id("entry-edit-row")
    expect(editing).to_be_visible()
    htmx_settled(page)
    editing.get_by_test_id("edit-ip-acl").fill("127.0.0.2/32")
    preview = editing.get_by_test_id("edit-preview")
    expect(preview.get_by_test_id("access-lost-row")).to_contain_text("127.0.0.1/32")
    expect(preview.get_by_test_id("access-gained-row")).to_contain_text("127.0.0.2/32")
    editing.get_by_role("button", name="Cancel").click()
    expect(entry_row(page, CLIENT)).to_contain_text("127.0.0.1/32")
    expect(entry_row(page, CLIENT)).not_to_contain_text("127.0.0.2/32")

    # The simulator: refused from 127.0.0.2 with the fix, allowed from 127.0.0.1.
    page.get_by_test_id("tab-simulator").click()
    page.get_by_label("Certificate (PEM, leaf first; no private key)").fill(pem)
    page.get_by_label("Endpoint (grouped by the role it needs)").select_option(
        "mosapi /ry/<tld>/v2/monitoring/state"
    )
    page.get_by_label("Source address").fill("127.0.0.2")
    page.get_by_test_id("sim-run").click()
    verdict = page.get_by_test_id("sim-verdict")
    expect(verdict).to_contain_text("Denied")
    expect(verdict).to_contain_text("source-not-in-acl")
    expect(page.get_by_test_id("sim-sentence")).to_have_text(
        f"127.0.0.2 is not in the prefixes of {CLIENT} for this role; add it on the TLS client "
        "authentication tab."
    )
    fits_the_phone(page)
    page.get_by_label("Source address").fill("127.0.0.1")
    page.get_by_test_id("sim-run").click()
    expect(verdict).to_contain_text("Allowed")
    expect(page.get_by_test_id("sim-sentence")).to_contain_text(f"{CLIENT} matched the certificate")
    fits_the_phone(page)
