"""The one endpoint table of both mocks: path, methods, handler, and the role each one needs.

Pure data, read by the mocks (their URL map), the portal's test connection, the policy simulator
and the CLI checker.

Paths of MoSAPI and RRI follow the published MoSAPI and RRI specifications. Maintenance windows
and the probe node list were not available to us: their paths here are harness-defined
(docs/mock-servers.md) and can be corrected in this table alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# RRI report kinds: the URL part after /report/.
KIND_TRANSACTIONS = "registrar-transactions"
KIND_ACTIVITY = "registry-functions-activity"
KIND_ESCROW_REPORT = "registry-escrow-report"
KIND_ESCROW_NOTIFICATION = "escrow-agent-notification"

RY = frozenset({"ry"})
DEA = frozenset({"dea"})
NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MockRoute:
    system: str  # mosapi | rri
    rule: str  # werkzeug rule; <tld> is always the TLD
    methods: tuple[str, ...]
    # Function name in mock_services.<system>.views, or in mock_services.harness_views for a
    # harness-defined route (both mocks serve those the same way).
    handler: str
    # None: the credential endpoints themselves (login, logout), and conformance-version, the
    # one rule without a TLD, which answers every client the same.
    role: str | None
    basic: frozenset[str] = NONE  # Basic accounts accepted on each request (RRI)
    harness_defined: bool = False
    kind: str | None = None  # RRI report kind, handed to the view as its `kind` argument

    @property
    def endpoint(self) -> str:
        return f"{self.system}.{self.handler}.{self.rule}"


_M = "/ry/<tld>/v2"
_SVC = _M + "/monitoring/<svc>"
_SLAM, _DAAR = "mosapi-slam", "mosapi-daar"
# A measurement's ID is its file name: <clock>.json by date, <clock>.<eventid>.json under an
# incident (ICANN's SLAM, ApiHelper.pm).
_MEASUREMENT_LEVELS = (
    "",
    "/<int:year>",
    "/<int:year>/<int:month>",
    "/<int:year>/<int:month>/<int:day>",
    "/<int:year>/<int:month>/<int:day>/<measurement_id>",
)
_INCIDENT = _SVC + "/incidents/<incident_id>"


def _mosapi(rule: str, handler: str, role: str | None) -> MockRoute:
    return MockRoute("mosapi", rule, ("GET",), handler, role)


def _rri_report(
    kind: str, method: str, key: str, handler: str, role: str, uploaders: frozenset[str]
) -> tuple[MockRoute, MockRoute]:
    """A report kind's upload (``key``: the URL part after the TLD) and its status read, which
    the registry's account may use as well as the uploader's."""
    return (
        MockRoute(
            "rri", f"/report/{kind}/<tld>{key}", (method,), handler, role, uploaders, kind=kind
        ),
        MockRoute(
            "rri",
            f"/info/report/{kind}/<tld>/<key>",
            ("GET", "HEAD"),
            "info",
            role,
            RY | uploaders,
            kind=kind,
        ),
    )


def _harness_defined(
    system: str, windows: str, probe_nodes: str, basic: frozenset[str]
) -> tuple[MockRoute, ...]:
    """Maintenance windows (the list at ``windows``, each one below it) and the probe node
    list, served the same way by both mocks."""
    role = "maintenance-window"
    return (
        MockRoute(system, windows, ("GET", "POST"), "windows", role, basic, harness_defined=True),
        MockRoute(
            system,
            windows + "/<int:window_id>",
            ("GET", "PUT", "DELETE"),
            "window",
            role,
            basic,
            harness_defined=True,
        ),
        MockRoute(
            system,
            probe_nodes,
            ("GET",),
            "probe_nodes",
            "probe-node-list",
            basic,
            harness_defined=True,
        ),
    )


ROUTES: tuple[MockRoute, ...] = (
    # ---------------------------------------------------------------- MoSAPI
    _mosapi("/ry/<tld>/login", "login", None),
    _mosapi("/ry/<tld>/logout", "logout", None),
    _mosapi(_M + "/monitoring/state", "state", _SLAM),
    _mosapi(_SVC + "/alarmed", "alarmed", _SLAM),
    _mosapi(_SVC + "/downtime", "downtime", _SLAM),
    _mosapi(_SVC + "/incidents", "incidents", _SLAM),
    _mosapi(_INCIDENT, "incident", _SLAM),
    _mosapi(_INCIDENT + "/falsePositive", "incident_false_positive", _SLAM),
    _mosapi(_INCIDENT + "/measurements", "incident_measurements", _SLAM),
    _mosapi(_INCIDENT + "/measurements/<measurement_id>", "incident_measurement", _SLAM),
    *(_mosapi(_SVC + "/measurements" + at, "measurements", _SLAM) for at in _MEASUREMENT_LEVELS),
    _mosapi(_M + "/metrica/domainList/latest", "metrica_latest", _DAAR),
    _mosapi(_M + "/metrica/domainList/<day>", "metrica_by_date", _DAAR),
    _mosapi(_M + "/metrica/domainLists", "metrica_list", _DAAR),
    _mosapi(_M + "/registrarRdapBaseUrl/list", "rdap_base_urls", "mosapi-rdap-base-urls"),
    *_harness_defined("mosapi", _M + "/maintenance-windows", _M + "/probe-nodes", NONE),
    # ---------------------------------------------------------------- RRI
    *_rri_report(KIND_TRANSACTIONS, "PUT", "/<month>", "monthly_report", "rri-monthly-reports", RY),
    *_rri_report(KIND_ACTIVITY, "PUT", "/<month>", "monthly_report", "rri-monthly-reports", RY),
    *_rri_report(
        KIND_ESCROW_REPORT, "PUT", "/<report_id>", "escrow_report", "rri-escrow-reports", RY
    ),
    *_rri_report(
        KIND_ESCROW_NOTIFICATION, "POST", "", "escrow_notification", "rri-escrow-reports", DEA
    ),
    # Status reads: the registry's reporting summary needs the role of the registry's own
    # reports; the escrow agent notification summary, meant for escrow agents, theirs (and only
    # the agent's Basic account: ICANN may refuse the registry's).
    MockRoute(
        "rri",
        "/info/status/registry/<tld>",
        ("GET",),
        "registry_status",
        "rri-monthly-reports",
        RY,
    ),
    MockRoute(
        "rri",
        "/info/status/escrow-agent-notification/<tld>",
        ("GET",),
        "escrow_notification_status",
        "rri-escrow-reports",
        DEA,
    ),
    MockRoute("rri", "/info/status/conformance-version", ("GET",), "conformance_version", None),
    *_harness_defined("rri", "/maintenance-windows/<tld>", "/probe-nodes/<tld>", RY),
)


def routes_for(system: str) -> list[MockRoute]:
    return [r for r in ROUTES if r.system == system]


# Values that fill a rule's placeholders when a tool calls an endpoint on a tester's behalf
# (test connection, the CLI checker): a past month, the DNS service, the first of anything.
EXAMPLE_VALUES: dict[str, str] = {
    "svc": "dns",
    "incident_id": "1",
    "measurement_id": "1",
    "year": "2026",
    "month": "2026-01",
    "day": "2026-01-01",
    "report_id": "1",
    "key": "2026-01",
    "window_id": "1",
}
_PLACEHOLDER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def example_path(route: MockRoute, tld: str, **values: str) -> str:
    """The route's rule with every placeholder filled: `tld`, then `values`, then examples.
    (A month placeholder under the measurement levels is a number: ``<int:month>``.)"""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "tld":
            return tld
        if name in values:
            return values[name]
        if name == "month" and match.group(0).startswith("<int:"):
            return "1"
        if name == "day" and match.group(0).startswith("<int:"):
            return "1"
        return EXAMPLE_VALUES[name]

    return _PLACEHOLDER.sub(fill, route.rule)


# One harmless call per role and mock: a read that changes nothing, for the write roles a
# status read of their own reports. The CLI checker calls these; test connection lists them first.
ROLE_PROBES: dict[tuple[str, str], str] = {
    ("mosapi", "mosapi-slam"): _M + "/monitoring/state",
    ("mosapi", "mosapi-daar"): _M + "/metrica/domainList/latest",
    ("mosapi", "mosapi-rdap-base-urls"): _M + "/registrarRdapBaseUrl/list",
    ("mosapi", "maintenance-window"): _M + "/maintenance-windows",
    ("mosapi", "probe-node-list"): _M + "/probe-nodes",
    ("rri", "rri-monthly-reports"): "/info/status/registry/<tld>",
    ("rri", "rri-escrow-reports"): "/info/status/escrow-agent-notification/<tld>",
    ("rri", "maintenance-window"): "/maintenance-windows/<tld>",
    ("rri", "probe-node-list"): "/probe-nodes/<tld>",
}


def role_probe(system: str, role: str) -> MockRoute | None:
    """The harmless endpoint that tells whether a client holds `role` on `system`."""
    rule = ROLE_PROBES.get((system, role))
    return next((r for r in ROUTES if r.system == system and r.rule == rule), None)


def grouped_by_role(system: str | None = None) -> dict[str, list[MockRoute]]:
    """Every endpoint that needs a role, under its role (table order of the roles)."""
    out: dict[str, list[MockRoute]] = {}
    for route in ROUTES:
        if route.role is not None and (system is None or route.system == system):
            out.setdefault(route.role, []).append(route)
    return out
