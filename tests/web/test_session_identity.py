"""A portal session names the user row it was made for, not only its id: after a reset the
same id may belong to someone else (SQLite reuses ids), and that session must not open it."""

from __future__ import annotations

from sqlalchemy import delete

from infra.database import db
from portal.models import User
from portal.services import directory, seed
from tests.helpers import PASSWORD


def test_a_session_does_not_survive_its_user_even_when_the_id_comes_back(app, client, login):
    with app.app_context():
        directory.create_organisation(db.session, "Operator A", "registry-operator")
        first = directory.create_user(db.session, "a@operator-a.example", "Operator A", PASSWORD)
        first_id = first.id
    login("a@operator-a.example")
    assert client.get("/tlds").status_code == 200
    with app.app_context():
        seed.reset(db.session)
        directory.create_organisation(db.session, "Operator B", "registry-operator")
        again = directory.create_user(db.session, "b@operator-b.example", "Operator B", PASSWORD)
        if again.id != first_id:  # PostgreSQL never reuses an id: force the case SQLite makes
            db.session.execute(delete(User).where(User.id == first_id))
            db.session.execute(
                User.__table__.update().where(User.id == again.id).values(id=first_id)
            )
            db.session.commit()
    answer = client.get("/tlds")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_session_of_the_same_user_keeps_working(app, client, login):
    with app.app_context():
        directory.create_organisation(db.session, "Operator A", "registry-operator")
        directory.create_user(db.session, "a@operator-a.example", "Operator A", PASSWORD)
    login("a@operator-a.example")
    for _ in range(2):
        assert client.get("/tlds").status_code == 200
