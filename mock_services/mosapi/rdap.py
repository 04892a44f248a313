"""The mock MoSAPI's registrar RDAP base URL list (``v2/registrarRdapBaseUrl/list``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.core.mosapi import as_utc, database_time

from .generation import rng

# The list keeps the RDAP bootstrap file's version, not the MoSAPI one.
BOOTSTRAP_VERSION = "1.0"


def rdap_base_urls(now: datetime) -> dict[str, Any]:
    """A fixed fictitious registrar list (IANA IDs as strings, URLs under ``.example``),
    published daily at 00:00Z of ``now``'s date; like every other body it carries
    ``lastUpdateApiDatabase``."""
    draw = rng("registrar-rdap-base-urls")
    ids = sorted(draw.sample(range(1000, 4000), 14))
    services: list[list[list[str]]] = []
    # Three registrars hosted by one RDAP provider share a base URL.
    services.append(
        [[str(x) for x in ids[:3]], ["https://rdap.shared-registrar-platform.example/"]]
    )
    for n, iana_id in enumerate(ids[3:]):
        urls = [f"https://rdap.registrar-{iana_id}.example/"]
        if n == 0:  # one registrar publishes two base URLs
            urls.append(f"https://rdap2.registrar-{iana_id}.example/rdap/")
        services.append([[str(iana_id)], urls])
    day = as_utc(now).date()
    return {
        "publication": f"{day.isoformat()}T00:00:00Z",
        "description": "RDAP base URLs of ICANN-accredited registrars (harness test data)",
        "services": services,
        "version": BOOTSTRAP_VERSION,
        "lastUpdateApiDatabase": database_time(now),
    }
