"""The RRI mock over real mTLS: a client certificate for .alpha with both RRI roles, its TLSA
record published, and the registrars the sample transactions report names listed."""

from __future__ import annotations

import pytest

from infra.database import db
from portal.core.validation import Entry
from portal.services import registrars
from tests import rri_samples as samples
from tests.helpers import client_cert, publish, set_entries

DOMAIN = "rri-client.alpha.example"
ROLES = ("rri-monthly-reports", "rri-escrow-reports")


@pytest.fixture
def rri(app, world, start_mock, tmp_path):
    cred = client_cert(tmp_path, DOMAIN)
    set_entries(app, [Entry(DOMAIN, ROLES, ("127.0.0.1/32",))])
    publish(app, world.rsp, DOMAIN, cred.cert)
    with app.app_context():
        # The first sample line is the registry acting as registrar (9999, always accepted).
        for line in samples.DEFAULT_REGISTRARS[1:]:
            registrars.add(db.session, line["iana-id"], line["registrar-name"])
    server = start_mock("rri")
    return server, cred
