"""The MoSAPI scenario schema: validation, normalisation, anchoring of relative start times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.core.scenario import PRESETS, normalise_scenario, validate_scenario

NOW = datetime(2025, 6, 15, 12, 34, 56, tzinfo=UTC)
REF = int(datetime(2025, 6, 15, 12, 34, tzinfo=UTC).timestamp())


def test_validate_accepts_empty_and_none() -> None:
    assert validate_scenario(None) == ({}, [])
    assert validate_scenario({}) == ({}, [])


def test_validate_normalises() -> None:
    doc = {
        "services": {"dns": {"status": "Down", "incidents": [{}], "emergency_threshold": 12}},
        "status": "Down",
        "metrica": {"date": "2025-06-01", "counts": {"malware": -1}, "no_report": False},
    }
    clean, errors = validate_scenario(doc)
    assert errors == []
    assert clean == {
        "services": {
            "DNS": {
                "status": "Down",
                "incidents": [{"active": True, "false_positive": False, "started_minutes_ago": 30}],
                "emergency_threshold": 12.0,
            }
        },
        "status": "Down",
        "metrica": {"date": "2025-06-01", "counts": {"malware": -1}, "no_report": False},
    }
    resolved, _ = validate_scenario(
        {"services": {"DNS": {"incidents": [{"active": False, "started_minutes_ago": 5}]}}}
    )
    assert resolved["services"]["DNS"]["incidents"][0]["duration_minutes"] == 5


def test_validate_with_now_anchors_relative_starts() -> None:
    relative = {"services": {"DNS": {"incidents": [{"started_minutes_ago": 30}]}}}
    anchored, errors = validate_scenario(relative, now=NOW)
    assert errors == []
    incident = anchored["services"]["DNS"]["incidents"][0]
    assert incident == {"active": True, "false_positive": False, "started_at": REF - 1800}
    # The normalised form validates again to itself.
    assert validate_scenario(anchored) == (anchored, [])


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ([], "scenario"),
        ("DNS down", "scenario"),
        ({"colour": "red"}, "colour"),
        ({"services": []}, "services"),
        ({"services": {"FTP": {}}}, "services.FTP"),
        ({"services": {"DNS": {"status": "Sideways"}}}, "services.DNS.status"),
        ({"services": {"DNS": {"state": "Up"}}}, "services.DNS.state"),
        ({"services": {"DNS": "Down"}}, "services.DNS"),
        ({"services": {"DNS": {}, "dns": {}}}, "services.dns"),
        ({"services": {"DNS": {"emergency_threshold": 101}}}, "services.DNS.emergency_threshold"),
        ({"services": {"DNS": {"emergency_threshold": "5"}}}, "services.DNS.emergency_threshold"),
        (
            {"services": {"DNS": {"status": "Disabled", "emergency_threshold": 5}}},
            "services.DNS.emergency_threshold",
        ),
        ({"services": {"DNS": {"incidents": {}}}}, "services.DNS.incidents"),
        (
            {"services": {"DNS": {"status": "Disabled", "incidents": [{}]}}},
            "services.DNS.incidents",
        ),
        ({"services": {"DNS": {"incidents": [1]}}}, "services.DNS.incidents[0]"),
        (
            {"services": {"DNS": {"incidents": [{"active": "yes"}]}}},
            "services.DNS.incidents[0].active",
        ),
        (
            {"services": {"DNS": {"incidents": [{"false_positive": 1}]}}},
            "services.DNS.incidents[0].false_positive",
        ),
        (
            {"services": {"DNS": {"incidents": [{"started_minutes_ago": -1}]}}},
            "services.DNS.incidents[0].started_minutes_ago",
        ),
        (
            {"services": {"DNS": {"incidents": [{"started_minutes_ago": 1.5}]}}},
            "services.DNS.incidents[0].started_minutes_ago",
        ),
        (
            {"services": {"DNS": {"incidents": [{"started_minutes_ago": 1, "started_at": 9}]}}},
            "services.DNS.incidents[0].started_at",
        ),
        (
            {"services": {"DNS": {"incidents": [{"duration_minutes": 5}]}}},
            "services.DNS.incidents[0].duration_minutes",
        ),
        (
            {
                "services": {
                    "DNS": {
                        "incidents": [
                            {"active": False, "started_minutes_ago": 5, "duration_minutes": 6}
                        ]
                    }
                }
            },
            "services.DNS.incidents[0].duration_minutes",
        ),
        (
            {"services": {"DNS": {"incidents": [{"active": False, "started_minutes_ago": 0}]}}},
            "services.DNS.incidents[0].started_minutes_ago",
        ),
        (
            {"services": {"DNS": {"incidents": [{"severity": "high"}]}}},
            "services.DNS.incidents[0].severity",
        ),
        ({"status": "Disabled"}, "status"),
        ({"metrica": []}, "metrica"),
        ({"metrica": {"date": "15/06/2025"}}, "metrica.date"),
        ({"metrica": {"date": "2025-02-30"}}, "metrica.date"),
        ({"metrica": {"counts": {"phishing": -2}}}, "metrica.counts.phishing"),
        ({"metrica": {"counts": {"phishing": True}}}, "metrica.counts.phishing"),
        ({"metrica": {"counts": {"ransomware": 1}}}, "metrica.counts.ransomware"),
        ({"metrica": {"counts": {"pharming": 0}}}, "metrica.counts.pharming"),
        ({"metrica": {"counts": [1]}}, "metrica.counts"),
        ({"metrica": {"no_report": "no"}}, "metrica.no_report"),
        ({"metrica": {"latest": True}}, "metrica.latest"),
    ],
)
def test_validate_errors(doc: object, field: str) -> None:
    clean, errors = validate_scenario(doc)
    assert clean is None
    assert field in [name for name, _ in errors], errors
    assert all(isinstance(message, str) and message for _, message in errors)


def test_validate_reports_every_error() -> None:
    _, errors = validate_scenario(
        {"services": {"FTP": {}, "DNS": {"status": "x"}}, "status": "y", "z": 1}
    )
    assert {name for name, _ in errors} == {"services.FTP", "services.DNS.status", "status", "z"}


def test_normalise_returns_the_normalised_form_or_raises() -> None:
    assert normalise_scenario(None) == {}
    assert normalise_scenario({"services": {"rdap": {}}}) == {"services": {"RDAP": {}}}
    with pytest.raises(ValueError, match=r"invalid MoSAPI scenario: services\.FTP: unknown"):
        normalise_scenario({"services": {"FTP": {}}})


def test_normalise_reads_a_stored_scenario_without_retired_threat_types() -> None:
    # Stored before METRICA's four threat types were corrected; new input is refused above.
    stored = {"metrica": {"counts": {"spam": 2, "pharming": 0}, "no_report": False}}
    assert normalise_scenario(stored) == {"metrica": {"counts": {"spam": 2}, "no_report": False}}
    assert stored["metrica"]["counts"] == {"spam": 2, "pharming": 0}  # the input is not changed
    with pytest.raises(ValueError, match="metrica.counts.ransomware"):
        normalise_scenario({"metrica": {"counts": {"ransomware": 1, "pharming": 0}}})


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_valid(name: str) -> None:
    clean, errors = validate_scenario(PRESETS[name])
    assert errors == [] and clean is not None
