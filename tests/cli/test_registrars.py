"""`tlsauth registrar list|add|remove`."""

from __future__ import annotations

from tests.helpers import failed, invoke, ok


def test_registrar_add_list_remove(runner) -> None:
    assert "no registrars" in ok(invoke(runner, "registrar", "list"))
    assert "registrar 292 (MarkMonitor Inc.) added" in ok(
        invoke(runner, "registrar", "add", "292", "MarkMonitor Inc.")
    )
    ok(invoke(runner, "registrar", "add", "1910", "CloudFlare, Inc."))
    listing = ok(invoke(runner, "registrar", "list")).splitlines()
    assert listing == ["   292  MarkMonitor Inc.", "  1910  CloudFlare, Inc."]
    assert "registrar 292 (MarkMonitor Inc.) removed" in ok(
        invoke(runner, "registrar", "remove", "292")
    )
    assert ok(invoke(runner, "registrar", "list")).splitlines() == ["  1910  CloudFlare, Inc."]


def test_registrar_refusals_are_one_line_errors(runner) -> None:
    ok(invoke(runner, "registrar", "add", "292", "MarkMonitor Inc."))
    failed(invoke(runner, "registrar", "add", "292", "Other"), "Error:", "already listed")
    failed(invoke(runner, "registrar", "add", "7", " "), "Enter the registrar's name")
    failed(invoke(runner, "registrar", "remove", "146"), "IANA id 146 not found")
    failed(invoke(runner, "registrar", "add", "x", "Name"), "not a valid integer")
