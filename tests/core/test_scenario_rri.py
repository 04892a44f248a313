"""The RRI part of a TLD's scenario: the switches the mock RRI server reads."""

from __future__ import annotations

from datetime import date

import pytest

from portal.core.scenario import RriSwitches, normalise_scenario, rri_switches, validate_scenario


def test_rri_switches_are_validated_and_normalised() -> None:
    doc = {
        "rri": {
            "interface_disabled": True,
            "tld_created": "2014-03-01",
            "reporting_status": {"PRTR": "unsatisfactory", "Full": "ok"},
        }
    }
    clean, errors = validate_scenario(doc)
    assert errors == []
    assert clean == {
        "rri": {
            "interface_disabled": True,
            "tld_created": "2014-03-01",
            "reporting_status": {"Full": "ok", "PRTR": "unsatisfactory"},
        }
    }
    assert normalise_scenario(clean) == clean


@pytest.mark.parametrize(
    ("rri", "field"),
    [
        ([], "rri"),
        ({"interface_disabled": "yes"}, "rri.interface_disabled"),
        ({"tld_created": "2014-02-30"}, "rri.tld_created"),
        ({"tld_created": 2014}, "rri.tld_created"),
        ({"reporting_status": ["PRTR"]}, "rri.reporting_status"),
        ({"reporting_status": {"Escrow": "ok"}}, "rri.reporting_status.Escrow"),
        ({"reporting_status": {"PRTR": "late"}}, "rri.reporting_status.PRTR"),
        ({"disabled": True}, "rri.disabled"),
    ],
)
def test_rri_switches_refuse_bad_values(rri: object, field: str) -> None:
    clean, errors = validate_scenario({"rri": rri})
    assert clean is None
    assert [f for f, _ in errors] == [field]


def test_rri_switches_read_from_a_stored_scenario() -> None:
    assert rri_switches(None) == RriSwitches()
    assert rri_switches({"services": {}}) == RriSwitches()
    switches = rri_switches({"rri": {"interface_disabled": True, "tld_created": "2014-03-01"}})
    assert switches.interface_disabled is True
    assert switches.tld_created == date(2014, 3, 1)
    assert switches.status_of("PRTR") == "ok"
    assert (
        rri_switches({"rri": {"reporting_status": {"Dea": "unsatisfactory"}}}).status_of("Dea")
        == "unsatisfactory"
    )
