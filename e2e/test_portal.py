"""The portal in a real browser: sign-in, search, the TLS client authentication entries of a
TLD (inline validation, add, edit, remove, History), the version a form sends, edit conflicts
between two people, and reading and adding with JavaScript disabled.

Each test works on a TLD of its own (see OPERATOR_TLDS in conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Dialog, Locator, Page, expect

from e2e.conftest import (
    ICANN,
    OPERATOR,
    OPERATOR_ORG,
    OPERATOR_TLDS,
    Account,
    ConsoleWatch,
    login,
)

MARK = "window.__e2eNoReload"


def mark_document(page: Page) -> None:
    """Tag the current document; the tag survives HTMX swaps but not a page load."""
    page.evaluate(f"{MARK} = 'still the same document'")


def assert_same_document(page: Page) -> None:
    assert page.evaluate(MARK) == "still the same document", "the page was reloaded"


def entry_row(page: Page, domain: str) -> Locator:
    return page.locator(f'[data-testid="entry-row"][data-domain="{domain}"]')


def open_tld(page: Page, tld: str) -> None:
    page.goto(f"/tlds/{tld}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f".{tld}")


def add_entry(page: Page, domain: str, roles: list[str], prefixes: str) -> None:
    """Fill and submit the add-entry form of the open TLD page; wait for the new row."""
    page.get_by_test_id("domain-name").fill(domain)
    page.get_by_test_id("ip-acl").fill(prefixes)
    for role in roles:
        page.get_by_test_id(f"role-{role}").check()
    page.get_by_test_id("add-entry").click()
    expect(entry_row(page, domain)).to_be_visible()
    expect(page.get_by_test_id("entries-message")).to_have_text(f"Added entry {domain}.")


def signed_in_page(new_context: Callable[..., BrowserContext], account: Account) -> Page:
    page = new_context().new_page()
    login(page, account)
    return page


# --------------------------------------------------------------------------- sign-in


def test_sign_in_lands_on_the_tld_list(page: Page) -> None:
    login(page, OPERATOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("TLDs")
    # An operator sees its own TLDs and nothing else.
    rows = page.get_by_test_id("tld-row")
    expect(rows).to_have_count(len(OPERATOR_TLDS))
    for tld in OPERATOR_TLDS:
        expect(rows.filter(has_text=f".{tld}")).to_contain_text(OPERATOR_ORG)


def test_wrong_password_shows_the_error(page: Page) -> None:
    page.goto("/tlds")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(OPERATOR.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong email or password.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    expect(page.get_by_label("Email")).to_have_value(OPERATOR.email)


# --------------------------------------------------------------------------- TLD list


def test_search_updates_the_results_in_place_and_opens_the_tld(page: Page) -> None:
    login(page, ICANN)
    results = page.locator("#tld-results")
    # ICANN staff see every TLD: ~1,200 gTLDs, 50 a page.
    expect(results.get_by_text(re.compile(r"^Page 1 of \d+$"))).to_be_visible()
    expect(page.get_by_test_id("tld-row")).to_have_count(50)
    mark_document(page)

    page.get_by_test_id("next-page").click()
    expect(results.get_by_text(re.compile(r"^Page 2 of \d+$"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tlds\?q=&page=2$"))

    # HTMX asks for the results fragment (HX-Request) and swaps it into #tld-results.
    with page.expect_response(
        lambda r: r.url.endswith("/tlds?q=foxtr") and r.request.headers.get("hx-request") == "true"
    ) as answer:
        page.get_by_test_id("tld-search").press_sequentially("foxtr")
    assert answer.value.ok
    assert "<html" not in answer.value.text()  # a fragment, not a page
    expect(results).to_contain_text("1 TLD matching “foxtr”.")
    rows = page.get_by_test_id("tld-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(".foxtrot")
    expect(rows).to_contain_text(OPERATOR_ORG)
    expect(page).to_have_url(re.compile(r"/tlds\?q=foxtr$"))
    assert_same_document(page)

    rows.get_by_role("link", name=".foxtrot").click()
    expect(page).to_have_url(re.compile(r"/tlds/foxtrot$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(".foxtrot")
    expect(page.get_by_test_id("no-entries")).to_be_visible()


# --------------------------------------------------------------------------- entries


def test_add_entry_with_inline_validation_then_history(page: Page) -> None:
    login(page, OPERATOR)
    open_tld(page, "alpha")
    mark_document(page)
    domain = "client.alpha.e2e.example"

    page.get_by_test_id("domain-name").fill(domain)
    acl = page.get_by_test_id("ip-acl")
    acl.press_sequentially("192.0.2.1/24")
    findings = page.locator("#ip_acl-findings")
    expect(findings.locator("li.error")).to_have_text(
        "192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?"
    )

    acl.fill("192.0.2.0/24\n2001:db8:a::/48")
    # Fixed: documentation prefixes are allowed, with a warning; no error remains.
    expect(findings.locator("li.warning")).to_have_count(2)
    expect(findings.locator("li.warning").first).to_contain_text(
        "192.0.2.0/24 is private or reserved address space"
    )
    expect(findings.locator("li.error")).to_have_count(0)
    page.get_by_test_id("role-mosapi-slam").check()
    page.get_by_test_id("role-rri-monthly-reports").check()
    page.get_by_test_id("add-entry").click()

    row = entry_row(page, domain)
    expect(row).to_be_visible()
    expect(row).to_contain_text("rri-monthly-reports")
    expect(row).to_contain_text("mosapi-slam")
    expect(row).to_contain_text("192.0.2.0/24")
    expect(row).to_contain_text("2001:db8:a::/48")
    expect(page.get_by_test_id("entries-message")).to_have_text(f"Added entry {domain}.")
    expect(page.get_by_test_id("domain-name")).to_have_value("")  # a fresh form
    expect(page.get_by_test_id("version-label")).to_have_text("version 2")
    assert_same_document(page)

    page.get_by_test_id("tab-history").click()
    expect(page).to_have_url(re.compile(r"/tlds/alpha\?tab=history$"))
    event = page.get_by_test_id("history-event").first
    expect(event).to_contain_text(
        f"Added entry {domain} with roles rri-monthly-reports, mosapi-slam "
        "and prefixes 192.0.2.0/24, 2001:db8:a::/48"
    )
    expect(event).to_contain_text(OPERATOR.email)
    expect(event).to_contain_text("via ui")
    assert_same_document(page)


def test_edit_in_place_then_remove_with_confirmation(page: Page) -> None:
    login(page, OPERATOR)
    open_tld(page, "charlie")
    domain = "edit.charlie.e2e.example"
    add_entry(page, domain, ["mosapi-slam"], "198.51.100.0/28")
    mark_document(page)

    entry_row(page, domain).get_by_test_id("edit-entry").click()
    editing = page.get_by_test_id("entry-edit-row")
    expect(editing).to_be_visible()
    expect(editing.get_by_test_id("edit-ip-acl")).to_have_value("198.51.100.0/28")
    editing.get_by_label("MoSAPI – TLD SLAM Data").uncheck()
    editing.get_by_label("MoSAPI – TLD DAAR Data").check()
    editing.get_by_test_id("edit-ip-acl").fill("198.51.100.0/28\n203.0.113.0/24")
    editing.get_by_test_id("save-entry").click()

    expect(editing).to_have_count(0)
    row = entry_row(page, domain)
    expect(row.get_by_role("status")).to_have_text("saved")
    expect(row).to_contain_text("mosapi-daar")
    expect(row).not_to_contain_text("mosapi-slam")
    expect(row).to_contain_text("203.0.113.0/24")
    assert_same_document(page)

    # Cancelling the confirmation keeps the entry; accepting it removes the entry.
    asked: list[str] = []

    def answer(accept: bool) -> Callable[[Dialog], None]:
        def handle(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    row.get_by_test_id("remove-entry").click()
    assert asked == [f"Remove the entry {domain}? Clients using it lose access at once."]
    expect(row).to_be_visible()

    page.once("dialog", answer(True))
    row.get_by_test_id("remove-entry").click()
    expect(row).to_have_count(0)
    expect(page.get_by_test_id("entries-message")).to_have_text(f"Removed entry {domain}.")
    expect(page.get_by_test_id("no-entries")).to_be_visible()
    assert len(asked) == 2
    assert_same_document(page)

    page.get_by_test_id("tab-history").click()
    events = page.get_by_test_id("history-event")
    expect(events).to_have_count(3)
    expect(events.nth(0)).to_contain_text(f"Removed entry {domain}")
    expect(events.nth(1)).to_contain_text(f"{domain}: roles added: mosapi-daar")
    expect(events.nth(1)).to_contain_text(f"{domain}: roles removed: mosapi-slam")
    expect(events.nth(1)).to_contain_text(f"{domain}: prefixes added: 203.0.113.0/24")


def test_forms_send_the_version_the_page_shows_now(page: Page) -> None:
    """The add-entry form was rendered at version 1; an edit in place since (version 2) is this
    page's own change, so the add goes through, sending the version once."""
    login(page, OPERATOR)
    open_tld(page, "juliett")
    first = "first.juliett.e2e.example"
    add_entry(page, first, ["mosapi-slam"], "198.51.100.0/28")  # the tab is re-rendered: v2
    mark_document(page)

    entry_row(page, first).get_by_test_id("edit-entry").click()
    editing = page.get_by_test_id("entry-edit-row")
    editing.get_by_test_id("edit-ip-acl").fill("198.51.100.0/27")
    editing.get_by_test_id("save-entry").click()
    expect(entry_row(page, first).get_by_role("status")).to_have_text("saved")  # v3

    second = "second.juliett.e2e.example"
    page.get_by_test_id("domain-name").fill(second)
    page.get_by_test_id("ip-acl").fill("203.0.113.0/28")
    page.get_by_test_id("role-mosapi-slam").check()
    with page.expect_request(lambda r: r.url.endswith("/tlds/juliett/entries")) as sent:
        page.get_by_test_id("add-entry").click()
    expect(entry_row(page, second)).to_be_visible()
    expect(page.get_by_test_id("conflict")).to_have_count(0)
    body = sent.value.post_data or ""
    assert body.count("version=") == 1 and "version=3" in body, body
    assert_same_document(page)


# --------------------------------------------------------------------------- conflicts


def test_conflicting_add_names_the_other_change_and_keeps_the_input(
    new_context: Callable[..., BrowserContext],
) -> None:
    first = signed_in_page(new_context, OPERATOR)
    second = signed_in_page(new_context, ICANN)
    open_tld(first, "bravo")
    open_tld(second, "bravo")
    mark_document(second)

    add_entry(first, "first.bravo.e2e.example", ["mosapi-slam"], "192.0.2.0/26")

    mine = "second.bravo.e2e.example"
    second.get_by_test_id("domain-name").fill(mine)
    second.get_by_test_id("ip-acl").fill("198.51.100.64/26")
    second.get_by_test_id("role-rri-escrow-reports").check()
    second.get_by_test_id("add-entry").click()

    conflict = second.get_by_test_id("conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Not saved: this TLD changed since you opened it")
    expect(conflict).to_contain_text("you had version 1; it is now version 2")
    expect(conflict).to_contain_text(OPERATOR.email)
    expect(conflict).to_contain_text("Added entry first.bravo.e2e.example")
    # What the second user typed is still there.
    expect(second.get_by_test_id("domain-name")).to_have_value(mine)
    expect(second.get_by_test_id("ip-acl")).to_have_value("198.51.100.64/26")
    expect(second.get_by_test_id("role-rri-escrow-reports")).to_be_checked()
    expect(second.get_by_test_id("entry-row")).to_have_count(0)

    second.get_by_test_id("reload-entries").click()
    expect(entry_row(second, "first.bravo.e2e.example")).to_be_visible()
    second.get_by_test_id("add-entry").click()

    expect(entry_row(second, mine)).to_be_visible()
    expect(entry_row(second, "first.bravo.e2e.example")).to_be_visible()
    expect(second.get_by_test_id("entries-message")).to_have_text(f"Added entry {mine}.")
    expect(conflict).to_have_count(0)
    assert_same_document(second)

    open_tld(first, "bravo")
    expect(entry_row(first, mine)).to_be_visible()


# --------------------------------------------------------------------------- no JavaScript


def test_reading_and_adding_work_without_javascript(
    page: Page, new_context: Callable[..., BrowserContext]
) -> None:
    domain = "nojs.echo.e2e.example"
    login(page, OPERATOR)
    open_tld(page, "echo")
    add_entry(page, domain, ["probe-node-list"], "192.0.2.128/25")

    plain = new_context(java_script_enabled=False).new_page()
    login(plain, OPERATOR)
    expect(plain.get_by_test_id("tld-row")).to_have_count(len(OPERATOR_TLDS))

    plain.get_by_test_id("tld-search").fill("echo")
    plain.get_by_role("button", name="Search").click()
    expect(plain).to_have_url(re.compile(r"/tlds\?q=echo$"))
    rows = plain.get_by_test_id("tld-row")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=".echo").click()

    expect(plain).to_have_url(re.compile(r"/tlds/echo$"))
    expect(plain.get_by_role("heading", level=1)).to_have_text(".echo")
    row = entry_row(plain, domain)
    expect(row).to_be_visible()
    expect(row).to_contain_text("probe-node-list")
    expect(row).to_contain_text("192.0.2.128/25")

    plain.get_by_test_id("tab-history").click()
    expect(plain).to_have_url(re.compile(r"/tlds/echo\?tab=history$"))
    expect(plain.get_by_test_id("history-event").first).to_contain_text(f"Added entry {domain}")

    # A change without JavaScript: the form posts the version it was rendered with.
    plain.get_by_test_id("tab-entries").click()
    plain.get_by_test_id("domain-name").fill("plain.echo.e2e.example")
    plain.get_by_test_id("ip-acl").fill("192.0.2.0/28")
    plain.get_by_test_id("role-mosapi-slam").check()
    plain.get_by_test_id("add-entry").click()
    expect(plain.get_by_test_id("entries-message")).to_have_text(
        "Added entry plain.echo.e2e.example."
    )
    expect(entry_row(plain, "plain.echo.e2e.example")).to_be_visible()


# --------------------------------------------------------------------------- the guard itself


def test_console_guard_reports_csp_violations_and_script_errors(
    page: Page, console_watch: ConsoleWatch
) -> None:
    """The teardown check that every other test relies on really sees what it must see."""
    page.goto("/login")
    # Waiting on the context's events: the guard listens there, so it has seen them too.
    with page.context.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.inlineRan = true'; document.body.append(s); }"
        )
    with page.context.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate("() => document.body.setAttribute('style', 'color: red')")
    with page.context.expect_event("weberror"):
        page.evaluate("() => { setTimeout(() => { throw new Error('e2e probe'); }, 0); }")
    assert page.evaluate("window.inlineRan") is None
    problems = list(console_watch.problems)
    console_watch.problems.clear()  # seen on purpose: do not fail this test at teardown
    assert len(problems) == 3, problems
    assert problems[0].startswith("CSP violation") and "script-src" in problems[0]
    assert problems[1].startswith("CSP violation") and "style-src" in problems[1]
    assert problems[2].startswith("JavaScript error: e2e probe")
