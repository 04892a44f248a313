"""The mocks' scenario: per-TLD overrides of the MoSAPI mock's generated monitoring and METRICA
data and the RRI mock's switches, its schema, validation and the presets the portal offers.
Pure: no Flask, no database.

Scenario (all keys optional; unknown keys or services are errors)::

    {
      "services": {                       # keys DNS, DNSSEC, RDDS, RDAP, EPP (any case)
        "DNS": {
          "status": "Up" | "Down" | "Disabled" | "Up-inconclusive",
          "incidents": [
            {"active": true,              # default true
             "false_positive": false,     # default false
             "started_minutes_ago": 30,   # default 30; 0 .. 129600 (90 days)
             "started_at": 1700000000,    # alternative to started_minutes_ago (Unix seconds)
             "duration_minutes": 10}      # resolved incidents only; default min(10, started)
          ],
          "emergency_threshold": 0-100    # percent of the weekly downtime budget consumed
        },
        "DNSSEC": {...}, "RDDS": {...}, "RDAP": {...}, "EPP": {...}
      },
      "status": "Up" | "Down" | "Up-inconclusive",   # overall override
      "metrica": {
        "date": "YYYY-MM-DD",             # date of the latest report (default: yesterday)
        "counts": {"spam": 2, "phishing": 3, "botnetCc": 0, "malware": -1},
        "no_report": false                # true: the TLD has no METRICA report at all
      },
      "rri": {
        "interface_disabled": false,      # true: every RRI request of the TLD answers 2007
        "tld_created": "YYYY-MM-DD",      # reports dated before it are 2008 (unset: no check)
        "reporting_status": {"PRTR": "unsatisfactory"}  # /info/status paths; default "ok"
      }
    }

``validate_scenario(doc, now=...)`` returns the normalised scenario with defaults filled in.
Given ``now`` it also turns ``started_minutes_ago`` into an absolute ``started_at``: store *that*
form, so incident IDs (which contain the start time) stay stable while time passes. A relative
incident is otherwise re-anchored to the ``now`` of every answer the mock computes.

METRICA once had a fifth threat type, ``pharming``; MoSAPI names four. A new scenario that
counts it is refused, and a stored one that does is read without it (``normalise_scenario``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .mosapi import (
    DAY,
    METRICA_EARLIEST,
    MINUTE,
    OVERALL_STATUSES,
    RETENTION_DAYS,
    SERVICE_STATUSES,
    SERVICES,
    THREAT_TYPES,
    database_time,
    parse_iso_date,
    service_key,
)

MAX_STARTED_MINUTES_AGO = RETENTION_DAYS * DAY // MINUTE
MAX_METRICA_COUNT = 1000
# Threat types older scenarios may still count; the mock reads such a scenario without them.
RETIRED_THREAT_TYPES: tuple[str, ...] = ("pharming",)

Scenario = dict[str, Any]
Errors = list[tuple[str, str]]

PRESETS: dict[str, Scenario] = {
    "all-up": {},
    "dns-down": {"services": {"DNS": {"incidents": [{"active": True, "started_minutes_ago": 30}]}}},
    "rdds-inconclusive": {"services": {"RDDS": {"status": "Up-inconclusive"}}},
    "epp-disabled": {"services": {"EPP": {"status": "Disabled"}}},
    "metrica-phishing": {
        "metrica": {"counts": {"spam": 2, "phishing": 3, "botnetCc": 0, "malware": 1}}
    },
    "metrica-none": {"metrica": {"no_report": True}},
}


# --------------------------------------------------------------------------- scenario

_TOP_KEYS = ("services", "status", "metrica", "rri")
_SERVICE_KEYS = ("status", "incidents", "emergency_threshold")
_INCIDENT_KEYS = (
    "active",
    "false_positive",
    "started_minutes_ago",
    "started_at",
    "duration_minutes",
)
_METRICA_KEYS = ("date", "counts", "no_report")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unknown_keys(obj: dict, allowed: tuple[str, ...], where: str, errors: Errors) -> None:
    for key in obj:
        if key not in allowed:
            name = f"{where}.{key}" if where else str(key)
            errors.append((name, f"unknown key; allowed: {', '.join(allowed)}"))


def _flag_field(raw: dict, key: str, where: str, out: dict[str, Any], errors: Errors) -> None:
    if key not in raw:
        return
    if isinstance(raw[key], bool):
        out[key] = raw[key]
    else:
        errors.append((f"{where}.{key}", "must be true or false"))


def _date_field(
    raw: dict,
    key: str,
    where: str,
    out: dict[str, Any],
    errors: Errors,
    earliest: date | None = None,
) -> None:
    if key not in raw:
        return
    parsed = parse_iso_date(raw[key])
    if parsed is None:
        errors.append((f"{where}.{key}", "must be a date written YYYY-MM-DD"))
    elif earliest is not None and parsed < earliest:
        errors.append((f"{where}.{key}", f"must not be before {earliest.isoformat()}"))
    else:
        out[key] = parsed.isoformat()


def _validate_incident(
    raw: object, where: str, ref: int | None, errors: Errors
) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.append((where, "must be an object"))
        return None
    before = len(errors)
    _unknown_keys(raw, _INCIDENT_KEYS, where, errors)
    out: dict[str, Any] = {}
    for key in ("active", "false_positive"):
        value = raw.get(key, key == "active")
        if not isinstance(value, bool):
            errors.append((f"{where}.{key}", "must be true or false"))
        out[key] = value
    if "started_minutes_ago" in raw and "started_at" in raw:
        errors.append((f"{where}.started_at", "give started_minutes_ago or started_at, not both"))
    if "started_at" in raw:
        value = raw["started_at"]
        if not _is_int(value) or value <= 0:
            errors.append((f"{where}.started_at", "must be a positive Unix time in seconds"))
        else:
            out["started_at"] = value - value % MINUTE
    else:
        value = raw.get("started_minutes_ago", 30)
        if not _is_int(value) or not 0 <= value <= MAX_STARTED_MINUTES_AGO:
            errors.append(
                (
                    f"{where}.started_minutes_ago",
                    f"must be a whole number of minutes from 0 to {MAX_STARTED_MINUTES_AGO}",
                )
            )
        else:
            out["started_minutes_ago"] = value
    active = out.get("active") is True
    if "duration_minutes" in raw:
        value = raw["duration_minutes"]
        if active:
            errors.append(
                (f"{where}.duration_minutes", "only a resolved incident (active false) has one")
            )
        elif not _is_int(value) or value < 1:
            errors.append((f"{where}.duration_minutes", "must be a whole number of minutes ≥ 1"))
        elif "started_minutes_ago" in out and value > out["started_minutes_ago"]:
            errors.append(
                (
                    f"{where}.duration_minutes",
                    "a resolved incident cannot last longer than started_minutes_ago",
                )
            )
        else:
            out["duration_minutes"] = value
    elif not active and out.get("active") is False:
        if "started_minutes_ago" in out:
            if out["started_minutes_ago"] < 1:
                errors.append(
                    (
                        f"{where}.started_minutes_ago",
                        "a resolved incident must have started at least 1 minute ago",
                    )
                )
            else:
                out["duration_minutes"] = min(10, out["started_minutes_ago"])
        elif "started_at" in out:
            out["duration_minutes"] = 10
    if len(errors) > before:
        return None
    if ref is not None and "started_minutes_ago" in out:
        out["started_at"] = ref - out.pop("started_minutes_ago") * MINUTE
    return out


def _validate_service(raw: object, where: str, ref: int | None, errors: Errors) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(raw, dict):
        errors.append((where, "must be an object"))
        return out
    _unknown_keys(raw, _SERVICE_KEYS, where, errors)
    status = raw.get("status")
    if "status" in raw:
        if status not in SERVICE_STATUSES:
            errors.append((f"{where}.status", f"must be one of {', '.join(SERVICE_STATUSES)}"))
        else:
            out["status"] = status
    if "incidents" in raw:
        incidents = raw["incidents"]
        if not isinstance(incidents, list):
            errors.append((f"{where}.incidents", "must be a list of incident objects"))
        elif status == "Disabled" and incidents:
            errors.append((f"{where}.incidents", "a Disabled service has no incidents"))
        else:
            items = [
                _validate_incident(item, f"{where}.incidents[{i}]", ref, errors)
                for i, item in enumerate(incidents)
            ]
            out["incidents"] = [item for item in items if item is not None]
    if "emergency_threshold" in raw:
        value = raw["emergency_threshold"]
        if status == "Disabled":
            errors.append(
                (f"{where}.emergency_threshold", "a Disabled service has no emergency threshold")
            )
        elif not _is_number(value) or not 0 <= value <= 100:
            errors.append(
                (f"{where}.emergency_threshold", "must be a number from 0 to 100 (percent)")
            )
        else:
            out["emergency_threshold"] = float(value)
    return out


def _validate_metrica(raw: object, errors: Errors) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(raw, dict):
        errors.append(("metrica", "must be an object"))
        return out
    _unknown_keys(raw, _METRICA_KEYS, "metrica", errors)
    _date_field(raw, "date", "metrica", out, errors, earliest=METRICA_EARLIEST)
    if "counts" in raw:
        counts = raw["counts"]
        if not isinstance(counts, dict):
            errors.append(("metrica.counts", "must be an object of threat type -> count"))
        else:
            _unknown_keys(counts, THREAT_TYPES, "metrica.counts", errors)
            clean: dict[str, int] = {}
            for threat in THREAT_TYPES:
                if threat not in counts:
                    continue
                value = counts[threat]
                if not _is_int(value) or not -1 <= value <= MAX_METRICA_COUNT:
                    errors.append(
                        (
                            f"metrica.counts.{threat}",
                            f"must be a whole number from 0 to {MAX_METRICA_COUNT}, "
                            "or -1 for not monitored",
                        )
                    )
                else:
                    clean[threat] = value
            out["counts"] = clean
    _flag_field(raw, "no_report", "metrica", out, errors)
    return out


# --------------------------------------------------------------------------- RRI switches

_RRI_KEYS = ("interface_disabled", "tld_created", "reporting_status")
# The paths of the reporting summary /info/status/registry/<tld> answers, as production spells
# them (icann-client rri/getReportingStatus.go); "ok" is the only documented good status and
# "unsatisfactory" the one complaint seen.
REPORTING_PATHS: tuple[str, ...] = ("Full", "Diff", "Dea", "PRTR", "RFAR", "Registry")
REPORTING_STATUSES: tuple[str, ...] = ("ok", "unsatisfactory")


def _validate_rri(raw: object, errors: Errors) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(raw, dict):
        errors.append(("rri", "must be an object"))
        return out
    _unknown_keys(raw, _RRI_KEYS, "rri", errors)
    _flag_field(raw, "interface_disabled", "rri", out, errors)
    _date_field(raw, "tld_created", "rri", out, errors)
    if "reporting_status" in raw:
        paths = raw["reporting_status"]
        if not isinstance(paths, dict):
            errors.append(("rri.reporting_status", "must be an object of path -> status"))
        else:
            _unknown_keys(paths, REPORTING_PATHS, "rri.reporting_status", errors)
            for path, status in paths.items():
                if path in REPORTING_PATHS and status not in REPORTING_STATUSES:
                    errors.append(
                        (
                            f"rri.reporting_status.{path}",
                            f"must be one of {', '.join(REPORTING_STATUSES)}",
                        )
                    )
            out["reporting_status"] = {
                p: paths[p] for p in REPORTING_PATHS if paths.get(p) in REPORTING_STATUSES
            }
    return out


@dataclass(frozen=True)
class RriSwitches:
    """What the RRI mock reads of a TLD's scenario."""

    interface_disabled: bool = False
    tld_created: date | None = None
    reporting_status: dict[str, str] = field(default_factory=dict)

    def status_of(self, path: str) -> str:
        return self.reporting_status.get(path, REPORTING_STATUSES[0])


def rri_switches(scenario: object) -> RriSwitches:
    """The RRI switches of a stored (normalised) scenario; none when it has no ``rri`` part."""
    rri = scenario.get("rri") if isinstance(scenario, dict) else None
    if not isinstance(rri, dict):
        return RriSwitches()
    return RriSwitches(
        interface_disabled=rri.get("interface_disabled") is True,
        tld_created=parse_iso_date(rri.get("tld_created")),
        reporting_status=dict(rri.get("reporting_status") or {}),
    )


# --------------------------------------------------------------------------- scenario document


def validate_scenario(
    doc: object, now: datetime | None = None
) -> tuple[Scenario | None, list[tuple[str, str]]]:
    """Check a scenario document; return ``(normalised, [])`` or ``(None, [(field, message)])``.

    ``None`` (no scenario) is valid and normalises to ``{}``. With ``now``, relative incident
    start times become absolute ``started_at`` values (store that form; see module docstring).
    """
    if doc is None:
        return {}, []
    if not isinstance(doc, dict):
        return None, [("scenario", "must be a JSON object")]
    errors: Errors = []
    ref = database_time(now) if now is not None else None
    out: Scenario = {}
    _unknown_keys(doc, _TOP_KEYS, "", errors)
    if "services" in doc:
        services = doc["services"]
        if not isinstance(services, dict):
            errors.append(("services", "must be an object keyed by service name"))
        else:
            clean: dict[str, Any] = {}
            for name, body in services.items():
                key = service_key(name) if isinstance(name, str) else None
                if key is None:
                    errors.append(
                        (f"services.{name}", f"unknown service; allowed: {', '.join(SERVICES)}")
                    )
                    continue
                if key in clean:
                    errors.append((f"services.{name}", f"{key} is given twice"))
                    continue
                clean[key] = _validate_service(body, f"services.{key}", ref, errors)
            out["services"] = clean
    if "status" in doc:
        if doc["status"] not in OVERALL_STATUSES:
            errors.append(("status", f"must be one of {', '.join(OVERALL_STATUSES)}"))
        else:
            out["status"] = doc["status"]
    if "metrica" in doc:
        out["metrica"] = _validate_metrica(doc["metrica"], errors)
    if "rri" in doc:
        out["rri"] = _validate_rri(doc["rri"], errors)
    if errors:
        return None, errors
    return out, []


def same_scenario(doc: object, stored: object, stored_at: datetime) -> bool:
    """Whether saving `doc` again would keep `stored`, a scenario saved at `stored_at`: the
    document's relative starts (``started_minutes_ago``) are read as of that moment, so an
    incident and its ID do not move while the document says the same."""
    again, _ = validate_scenario(doc, now=stored_at)
    return again is not None and again == (stored or {})


def normalise_scenario(doc: object) -> Scenario:
    """The normalised form of a raw or already normalised scenario; ``ValueError`` if invalid.

    The mock's generators take either form, so they validate again on every call. Counts of
    retired threat types are dropped first: a stored scenario keeps working.
    """
    clean, errors = validate_scenario(_without_retired_counts(doc))
    if clean is None:
        detail = "; ".join(f"{field}: {message}" for field, message in errors)
        raise ValueError(f"invalid MoSAPI scenario: {detail}")
    return clean


def _without_retired_counts(doc: object) -> object:
    """``doc`` without ``metrica.counts`` of RETIRED_THREAT_TYPES (a copy only when it has any)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("metrica"), dict):
        return doc
    counts = doc["metrica"].get("counts")
    if not isinstance(counts, dict) or not any(t in counts for t in RETIRED_THREAT_TYPES):
        return doc
    kept = {k: v for k, v in counts.items() if k not in RETIRED_THREAT_TYPES}
    return {**doc, "metrica": {**doc["metrica"], "counts": kept}}
