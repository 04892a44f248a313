"""The TLSA status column of the entries table: a template global the entries table (and a
row rendered on its own) calls once, so every view that renders entries shows it."""

from __future__ import annotations

from flask import current_app

from infra.database import db

from ..models import Tld
from ..services.entry_status import EntryTlsa, dns_lookup, entry_statuses
from . import bp


@bp.app_template_global("entry_tlsa")
def entry_tlsa(tld: Tld) -> dict[str, EntryTlsa]:
    """Each entry's TLSA status by domain name, from the mocks' TLSA source."""
    source = current_app.config.get("TLSA_SOURCE", "harness")
    lookup = dns_lookup(current_app.config["DNS_RESOLVER"]) if source == "dns" else None
    return entry_statuses(db.session, tld, source, lookup)
