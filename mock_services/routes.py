"""The one routes table of both mocks: path, methods, handler, and the role each one needs.

Paths of MoSAPI and RRI follow what is published (DESIGN §5). Maintenance windows and the probe
node list were not available to us: their paths here are harness-defined (docs/mock-servers.md)
and can be corrected in this table alone.
"""

from __future__ import annotations

from dataclasses import dataclass

RY = frozenset({"ry"})
DEA = frozenset({"dea"})
NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MockRoute:
    system: str  # mosapi | rri
    rule: str  # werkzeug rule; <tld> is always the TLD
    methods: tuple[str, ...]
    handler: str  # function name in mock_services.<system>.views
    role: str | None  # None: the credential endpoints themselves (login, logout)
    basic: frozenset[str] = NONE  # Basic accounts accepted on each request (RRI)
    harness_defined: bool = False

    @property
    def endpoint(self) -> str:
        return f"{self.system}.{self.handler}.{self.rule}"


_M = "/ry/<tld>/v2"
_SVC = _M + "/monitoring/<svc>"

ROUTES: tuple[MockRoute, ...] = (
    # ---------------------------------------------------------------- MoSAPI
    MockRoute("mosapi", "/ry/<tld>/login", ("GET",), "login", None),
    MockRoute("mosapi", "/ry/<tld>/logout", ("GET",), "logout", None),
    MockRoute("mosapi", _M + "/monitoring/state", ("GET",), "state", "mosapi-slam"),
    MockRoute("mosapi", _SVC + "/alarmed", ("GET",), "alarmed", "mosapi-slam"),
    MockRoute("mosapi", _SVC + "/downtime", ("GET",), "downtime", "mosapi-slam"),
    MockRoute("mosapi", _SVC + "/incidents", ("GET",), "incidents", "mosapi-slam"),
    MockRoute("mosapi", _SVC + "/incidents/<incident_id>", ("GET",), "incident", "mosapi-slam"),
    MockRoute(
        "mosapi",
        _SVC + "/incidents/<incident_id>/falsePositive",
        ("GET",),
        "incident_false_positive",
        "mosapi-slam",
    ),
    MockRoute(
        "mosapi",
        _SVC + "/incidents/<incident_id>/measurements",
        ("GET",),
        "incident_measurements",
        "mosapi-slam",
    ),
    MockRoute("mosapi", _SVC + "/measurements", ("GET",), "measurements", "mosapi-slam"),
    MockRoute("mosapi", _SVC + "/measurements/<int:year>", ("GET",), "measurements", "mosapi-slam"),
    MockRoute(
        "mosapi",
        _SVC + "/measurements/<int:year>/<int:month>",
        ("GET",),
        "measurements",
        "mosapi-slam",
    ),
    MockRoute(
        "mosapi",
        _SVC + "/measurements/<int:year>/<int:month>/<int:day>",
        ("GET",),
        "measurements",
        "mosapi-slam",
    ),
    MockRoute(
        "mosapi",
        _SVC + "/measurements/<int:year>/<int:month>/<int:day>/<measurement_id>",
        ("GET",),
        "measurements",
        "mosapi-slam",
    ),
    MockRoute(
        "mosapi", _M + "/metrica/domainList/latest", ("GET",), "metrica_latest", "mosapi-daar"
    ),
    MockRoute(
        "mosapi", _M + "/metrica/domainList/<day>", ("GET",), "metrica_by_date", "mosapi-daar"
    ),
    MockRoute("mosapi", _M + "/metrica/domainLists", ("GET",), "metrica_list", "mosapi-daar"),
    MockRoute(
        "mosapi",
        _M + "/registrarRdapBaseUrl/list",
        ("GET",),
        "rdap_base_urls",
        "mosapi-rdap-base-urls",
    ),
    MockRoute(
        "mosapi",
        _M + "/maintenance-windows",
        ("GET", "POST"),
        "windows",
        "maintenance-window",
        harness_defined=True,
    ),
    MockRoute(
        "mosapi",
        _M + "/maintenance-windows/<int:window_id>",
        ("GET", "PUT", "DELETE"),
        "window",
        "maintenance-window",
        harness_defined=True,
    ),
    MockRoute(
        "mosapi",
        _M + "/probe-nodes",
        ("GET",),
        "probe_nodes",
        "probe-node-list",
        harness_defined=True,
    ),
    # ---------------------------------------------------------------- RRI
    MockRoute(
        "rri",
        "/report/registrar-transactions/<tld>/<month>",
        ("PUT",),
        "transactions_report",
        "rri-monthly-reports",
        RY,
    ),
    MockRoute(
        "rri",
        "/report/registry-functions-activity/<tld>/<month>",
        ("PUT",),
        "activity_report",
        "rri-monthly-reports",
        RY,
    ),
    MockRoute(
        "rri",
        "/report/registry-escrow-report/<tld>/<report_id>",
        ("PUT",),
        "escrow_report",
        "rri-escrow-reports",
        RY,
    ),
    MockRoute(
        "rri",
        "/report/escrow-agent-notification/<tld>",
        ("POST",),
        "escrow_notification",
        "rri-escrow-reports",
        DEA,
    ),
    MockRoute(
        "rri",
        "/info/report/registrar-transactions/<tld>/<key>",
        ("GET", "HEAD"),
        "info",
        "rri-monthly-reports",
        RY,
    ),
    MockRoute(
        "rri",
        "/info/report/registry-functions-activity/<tld>/<key>",
        ("GET", "HEAD"),
        "info",
        "rri-monthly-reports",
        RY,
    ),
    MockRoute(
        "rri",
        "/info/report/registry-escrow-report/<tld>/<key>",
        ("GET", "HEAD"),
        "info",
        "rri-escrow-reports",
        RY,
    ),
    MockRoute(
        "rri",
        "/info/report/escrow-agent-notification/<tld>/<key>",
        ("GET", "HEAD"),
        "info",
        "rri-escrow-reports",
        RY | DEA,
    ),
    MockRoute(
        "rri",
        "/maintenance-windows/<tld>",
        ("GET", "POST"),
        "windows",
        "maintenance-window",
        RY,
        harness_defined=True,
    ),
    MockRoute(
        "rri",
        "/maintenance-windows/<tld>/<int:window_id>",
        ("GET", "PUT", "DELETE"),
        "window",
        "maintenance-window",
        RY,
        harness_defined=True,
    ),
    MockRoute(
        "rri",
        "/probe-nodes/<tld>",
        ("GET",),
        "probe_nodes",
        "probe-node-list",
        RY,
        harness_defined=True,
    ),
)


def routes_for(system: str) -> list[MockRoute]:
    return [r for r in ROUTES if r.system == system]
