"""The mock MoSAPI's error answers and the date checks that produce them. Pure: no Flask.

MoSAPI answers a refused request (HTTP 400) with ``{"resultCode", "message", "description"}``,
``resultCode`` a JSON string (njshah301/nomulus ``MosApiErrorResponse``, its record of the
specification's error body). The codes and their messages are the ones nomulus knows
(``MosApiResponse``): 2011 range too long, 2012 end before start, 2013 bad startDate, 2014 bad
endDate. No public text describes 404 bodies; the mock uses the same envelope with the
harness-defined code ``"404"``, because a client that parses the body of a 404 (an older
nomulus ``DomainMetricaClient``) expects that envelope and the others ignore the body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

RANGE_TOO_LONG = "2011"
END_BEFORE_START = "2012"
START_DATE_INVALID = "2013"
END_DATE_INVALID = "2014"
NOT_FOUND = "404"

_MESSAGES: dict[str, str] = {
    RANGE_TOO_LONG: "The difference between endDate and startDate is more than 31 days",
    END_BEFORE_START: "The EndDate is before startDate",
    START_DATE_INVALID: "StartDate syntax is invalid",
    END_DATE_INVALID: "EndDate syntax is invalid",
    NOT_FOUND: "Not Found",
}
_BAD_DATE_CODES: dict[str, str] = {"startDate": START_DATE_INVALID, "endDate": END_DATE_INVALID}


@dataclass(frozen=True)
class MosapiError:
    status: int  # HTTP status
    result_code: str
    description: str

    @property
    def message(self) -> str:
        return _MESSAGES[self.result_code]

    def body(self) -> dict[str, str]:
        return {
            "resultCode": self.result_code,
            "message": self.message,
            "description": self.description,
        }


def not_found(description: str) -> MosapiError:
    return MosapiError(404, NOT_FOUND, description)


def range_too_long(description: str) -> MosapiError:
    return MosapiError(400, RANGE_TOO_LONG, description)


_Day = TypeVar("_Day", int, date)  # a query date: Unix seconds or a calendar day


def parse_range(
    start: str | None, end: str | None, parse: Callable[[str], _Day | None], form: str
) -> tuple[_Day | None, _Day | None] | MosapiError:
    """``startDate`` and ``endDate`` of a query, each optional, parsed with ``parse``.

    Checked in this order: 2013 (startDate does not parse), 2014 (endDate does not parse), 2012
    (both given and endDate before startDate). ``form`` says what a valid value looks like.
    """
    parsed: dict[str, _Day | None] = {}
    for name, raw in (("startDate", start), ("endDate", end)):
        value = None if raw is None else parse(raw)
        if raw is not None and value is None:
            return MosapiError(400, _BAD_DATE_CODES[name], f"{name} {raw!r} must be {form}.")
        parsed[name] = value
    first, last = parsed["startDate"], parsed["endDate"]
    if first is not None and last is not None and last < first:
        return end_before_start(first, last)
    return first, last


def end_before_start(start: object, end: object) -> MosapiError:
    return MosapiError(400, END_BEFORE_START, f"endDate {end} is before startDate {start}.")
