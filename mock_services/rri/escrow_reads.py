"""What a GET of ``/info/report/<escrow kind>/<tld>/<YYYY-MM-DD>`` answers: the escrow reports
(keyed by watermark date) or agent notifications (keyed by ``repDate``) received for that date,
as the lists icann-client decodes (``rri/getRyEscrowReports.go``,
``rri/getEscrowNotifications.go`` and their testdata), newest first. Pure: the views hand in
the stored bodies.

ICANN serves these lists only for dates from the production deployment of the feature on; an
earlier date is 2214. No public text gives that date: ``GET_DEPLOYED`` is the harness's choice
(icann-client's tests query 2025-10-17 as served and 2020-01-01 as too early). HEAD, the older
status probe, answers for any date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime

from .reports import (
    CODE_DATE_BEFORE_GET,
    KIND_ESCROW_NOTIFICATION,
    KIND_ESCROW_REPORT,
    NS_HEADER,
    NS_NOTIFICATION,
    NS_REPORT,
    RriResult,
    failure,
    refusal_text,
)

GET_DEPLOYED = date(2025, 1, 1)

NS_REPORTS = "urn:ietf:params:xml:ns:rdeReports-1.0"
NS_NOTIFICATIONS = "urn:ietf:params:xml:ns:rdeNotifications-1.0"

# kind -> (list prefix, namespace, list element, item element)
_LISTS: dict[str, tuple[str, str, str, str]] = {
    KIND_ESCROW_REPORT: ("rdeReports", NS_REPORTS, "reports", "receivedReport"),
    KIND_ESCROW_NOTIFICATION: (
        "rdeNotifications",
        NS_NOTIFICATIONS,
        "notifications",
        "receivedNotification",
    ),
}
LIST_KINDS: frozenset[str] = frozenset(_LISTS)
_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>\s*")


def parse_day(key: str) -> date | None:
    """``YYYY-MM-DD`` -> date; None for anything else (nothing is held under it)."""
    try:
        return date.fromisoformat(key) if len(key) == 10 else None
    except ValueError:
        return None


def before_deployment(day: date) -> RriResult | None:
    """2214 for a date before ``GET_DEPLOYED``."""
    if day >= GET_DEPLOYED:
        return None
    return failure(
        CODE_DATE_BEFORE_GET,
        refusal_text(
            CODE_DATE_BEFORE_GET,
            f"{day.isoformat()} is before {GET_DEPLOYED.isoformat()}, "
            "from which the mock serves these lists",
        ),
    )


def timestamp(moment: datetime) -> str:
    """A moment as the RRI reads write it: UTC, milliseconds, ``Z``."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def received_list(kind: str, received: Sequence[tuple[datetime, bytes]]) -> bytes:
    """The list document for ``kind``: each stored body (its root element, namespaces and all)
    with the moment it was received, in the order given."""
    prefix, ns, root, item = _LISTS[kind]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<{prefix}:{root} xmlns:{prefix}="{ns}"\n'
        f'  xmlns:rdeNotification="{NS_NOTIFICATION}"\n'
        f'  xmlns:rdeReport="{NS_REPORT}"\n'
        f'  xmlns:rdeHeader="{NS_HEADER}">\n',
    ]
    for moment, body in received:
        document = _DECLARATION.sub("", body.decode("utf-8")).rstrip()
        parts += [
            f"  <{prefix}:{item}>\n",
            f"    <{prefix}:received>{timestamp(moment)}</{prefix}:received>\n",
            f"{document}\n",
            f"  </{prefix}:{item}>\n",
        ]
    parts.append(f"</{prefix}:{root}>\n")
    return "".join(parts).encode()
