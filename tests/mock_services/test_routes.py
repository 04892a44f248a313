"""The one routes table of both mocks."""

from __future__ import annotations

import importlib

from mock_services import harness_views
from mock_services.rri.reports import (
    KIND_ACTIVITY,
    KIND_ESCROW_NOTIFICATION,
    KIND_ESCROW_REPORT,
    KIND_TRANSACTIONS,
)
from portal.core.endpoints import DEA, ROUTES, RY, routes_for


def test_every_handler_exists_where_the_app_looks_for_it() -> None:
    for route in ROUTES:
        views = importlib.import_module(f"mock_services.{route.system}.views")
        module = harness_views if route.harness_defined else views
        assert callable(getattr(module, route.handler, None)), route


def test_every_endpoint_is_unique() -> None:
    endpoints = [route.endpoint for route in ROUTES]
    assert len(endpoints) == len(set(endpoints))


def test_each_report_kind_has_an_upload_and_a_status_read() -> None:
    rri = routes_for("rri")
    for kind, upload, accounts in [
        (KIND_TRANSACTIONS, f"/report/{KIND_TRANSACTIONS}/<tld>/<month>", RY),
        (KIND_ACTIVITY, f"/report/{KIND_ACTIVITY}/<tld>/<month>", RY),
        (KIND_ESCROW_REPORT, f"/report/{KIND_ESCROW_REPORT}/<tld>/<report_id>", RY),
        (KIND_ESCROW_NOTIFICATION, f"/report/{KIND_ESCROW_NOTIFICATION}/<tld>", DEA),
    ]:
        [up] = [r for r in rri if r.rule == upload]
        [info] = [r for r in rri if r.rule == f"/info/report/{kind}/<tld>/<key>"]
        assert up.kind == info.kind == kind
        assert up.basic == accounts and info.basic == RY | accounts
        assert up.role == info.role
    assert {r.kind for r in ROUTES if r.system == "mosapi"} == {None}


def test_rri_status_reads_and_their_roles() -> None:
    rri = {r.rule: r for r in routes_for("rri")}
    registry = rri["/info/status/registry/<tld>"]
    assert (registry.role, registry.basic, registry.methods) == (
        "rri-monthly-reports",
        RY,
        ("GET",),
    )
    agent = rri["/info/status/escrow-agent-notification/<tld>"]
    assert (agent.role, agent.basic) == ("rri-escrow-reports", DEA)
    conformance = rri["/info/status/conformance-version"]
    assert conformance.role is None  # no TLD: every client gets production's 404


def test_every_role_has_a_harmless_probe_on_each_of_its_mocks() -> None:
    from portal.core.endpoints import example_path, role_probe
    from portal.core.roles import ROLES

    for role in ROLES:
        for system in role.systems:
            probe = role_probe(system, role.id)
            assert probe is not None, (system, role.id)
            assert probe.role == role.id
            assert "GET" in probe.methods
            assert "<" not in example_path(probe, "bank")


def test_example_paths_fill_every_placeholder() -> None:
    from portal.core.endpoints import example_path

    for route in ROUTES:
        path = example_path(route, "bank")
        assert "<" not in path and ">" not in path, route.rule
        assert "/bank" in path or "<tld>" not in route.rule
