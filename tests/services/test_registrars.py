"""The registrar list the RRI mock checks transactions reports against."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from infra.database import db
from portal.models import Registrar
from portal.services import registrars
from portal.services.errors import Invalid, NotFound


def test_add_list_remove(app) -> None:
    with app.app_context():
        s = db.session
        assert registrars.list_registrars(s) == []
        registrars.add(s, 292, "  MarkMonitor   Inc. ")
        registrars.add(s, 146, "GoDaddy.com, LLC")
        assert [(r.iana_id, r.name) for r in registrars.list_registrars(s)] == [
            (146, "GoDaddy.com, LLC"),
            (292, "MarkMonitor Inc."),
        ]
        assert registrars.accredited_ids(s) == {146, 292}
        assert registrars.remove(s, 146).name == "GoDaddy.com, LLC"
        assert registrars.accredited_ids(s) == {292}
        with pytest.raises(NotFound, match="IANA id 146"):
            registrars.remove(s, 146)


@pytest.mark.parametrize(
    ("iana_id", "name", "fields"),
    [
        (0, "Zero Names", ["iana_id"]),
        (292, "Again", ["iana_id"]),
        (7, "   ", ["name"]),
        (7, "x" * 256, ["name"]),
        (-1, "", ["iana_id", "name"]),
    ],
)
def test_add_refuses(app, iana_id: int, name: str, fields: list[str]) -> None:
    with app.app_context():
        registrars.add(db.session, 292, "MarkMonitor Inc.")
        with pytest.raises(Invalid) as refused:
            registrars.add(db.session, iana_id, name)
        assert [f.field for f in refused.value.errors] == fields


def test_the_migration_seeds_real_accredited_registrars(app) -> None:
    with app.app_context():
        downgrade(revision="0002")
        upgrade()
        db.engine.dispose()
        rows = dict(db.session.execute(select(Registrar.iana_id, Registrar.name)).all())
        # A few of IANA's registrar id registry (https://www.iana.org/assignments/registrar-ids).
        assert rows[146] == "GoDaddy.com, LLC"
        assert rows[292] == "MarkMonitor Inc."
        assert rows[1910] == "CloudFlare, Inc."
        assert len(rows) >= 20
        assert not {9997, 9998, 9999} & set(rows)  # reserved: accepted without a listing
