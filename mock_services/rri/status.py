"""The bodies of the RRI status reads under ``/info/status/``. Pure.

* ``registry/<tld>``: the JSON reporting summary production serves instead of the draft's XML
  (icann-client ``rri/getReportingStatus.go`` and ``testdata/reporting-summary.json``):
  ``{"tld": {"name"}, "paths": [{"path", "status"}], "created"}``. Production answers
  ``Accept: text/xml`` with 406, so a client that asks for XML only gets 406 here too.
* ``escrow-agent-notification/<tld>``: not observed in production; icann-client decodes the
  same JSON shape and reads its ``Dea`` path, so the mock answers that shape with that path only.
* ``conformance-version``: production answers 404, which the draft defines as conformance to
  draft-lozano-icann-registry-interfaces-25 and draft-icann-registrar-interfaces-15
  (icann-client ``rri/getConformanceVersion.go``); the mock answers 404 too.

Each path's status is ``ok`` unless the TLD's scenario says otherwise (``rri.reporting_status``):
no public text says when ICANN complains, so the harness computes nothing from what was received.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from portal.core.scenario import REPORTING_PATHS, RriSwitches

from .escrow_reads import timestamp

DEA_PATHS: tuple[str, ...] = ("Dea",)


def summary(
    tld: str, switches: RriSwitches, now: datetime, paths: Sequence[str] = REPORTING_PATHS
) -> dict[str, Any]:
    return {
        "tld": {"name": tld},
        "paths": [{"path": p, "status": switches.status_of(p)} for p in paths],
        "created": timestamp(now),
    }
