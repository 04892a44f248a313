"""The bulk process end to end over the services and a real database: check, attest, stage,
then accept, object, the end of the notice period, conflicts, ICANN staff, the one-time rule."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from infra.database import db
from portal.core.validation import Limits
from portal.models import (
    AttestationChanged,
    AuditEvent,
    BulkTldChange,
    BulkUpload,
    ChangeStatus,
    Notification,
    OutboxMessage,
    Tld,
    UploadStatus,
    utcnow,
)
from portal.services import bulk_changes, bulk_uploads, configuration, directory
from portal.services.errors import Conflict, Invalid, NotFound
from tests.helpers import PASSWORD

LIMITS = Limits()
MiB = 1024 * 1024


def user(email: str):
    return directory.get_user(db.session, email)


def tld(name: str) -> Tld:
    return db.session.scalar(select(Tld).where(Tld.name == name))


@pytest.fixture
def rsp_world(app, world):
    """RSP One is RSP of record for alpha and gamma (operator A) and delta (operator C, two
    users); alpha already has an entry the file keeps and one it drops."""
    with app.app_context():
        s = db.session
        directory.create_organisation(s, "Operator C", "registry-operator")
        directory.create_user(s, "c1@operator-c.example", "Operator C", PASSWORD)
        directory.create_user(s, "c2@operator-c.example", "Operator C", PASSWORD)
        directory.add_tld(s, "gamma", "Operator A", "RSP One")
        directory.add_tld(s, "delta", "Operator C", "RSP One")
        alpha = tld("alpha")
        actor = configuration.Actor("a@operator-a.example", "ui")
        configuration.replace_entries(
            s,
            alpha,
            [
                {
                    "domain_name": "keep.rsp.example",
                    "roles": ["mosapi-slam"],
                    "ip_acl": ["192.0.2.0/24"],
                },
                {
                    "domain_name": "old.rsp.example",
                    "roles": ["mosapi-slam"],
                    "ip_acl": ["192.0.2.0/24"],
                },
            ],
            alpha.version,
            actor,
            LIMITS,
        )
        yield world


FILE = (
    "\ufefftld,domain_name,roles,ip_acl\r\n"
    "alpha,keep.rsp.example,mosapi-slam,192.0.2.0/24\r\n"
    "alpha,new.rsp.example,rri-monthly-reports;mosapi-slam,198.51.100.0/24;2001:db8::/48\r\n"
    "gamma,gamma.rsp.example,mosapi-slam,203.0.113.0/24\r\n"
    "delta,delta.rsp.example,mosapi-slam,203.0.113.0/24\r\n"
).encode()


def checked(data: bytes = FILE, email: str = "rsp@rsp.example") -> BulkUpload:
    upload = bulk_uploads.create_upload(
        db.session, user(email), data, filename="rsp.csv", channel="ui", max_bytes=MiB
    )
    return bulk_uploads.check_upload(db.session, upload, LIMITS)


def submitted(data: bytes = FILE, now=None) -> BulkUpload:
    upload = checked(data)
    assert upload.status == UploadStatus.READY, upload.findings
    return bulk_uploads.submit(
        db.session,
        upload,
        user("rsp@rsp.example"),
        attest=True,
        name="Rita Sample",
        title="Head of Registry Operations",
        notice_days=7,
        now=now,
    )


def change_of(upload: BulkUpload, name: str) -> BulkTldChange:
    return db.session.scalar(
        select(BulkTldChange).where(BulkTldChange.upload_id == upload.id, BulkTldChange.tld == name)
    )


def entries(name: str) -> list[str]:
    return sorted(e.domain_name for e in tld(name).entries)


def inbox_subjects(email: str) -> list[str]:
    return [
        n.subject
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user(email).id)
        )
    ]


def test_check_records_the_plan_and_a_preview_against_the_current_entries(app, rsp_world):
    with app.app_context():
        upload = checked()
        assert upload.status == UploadStatus.READY
        assert upload.sha256 == hashlib.sha256(FILE).hexdigest() and upload.file == FILE
        assert sorted(upload.plan) == ["alpha", "delta", "gamma"]
        assert upload.totals["entries_added"] == 3  # new.rsp, gamma.rsp, delta.rsp
        assert upload.totals["entries_removed"] == 1  # old.rsp
        assert upload.totals["entries_unchanged"] == 1  # keep.rsp
        alpha = next(p for p in upload.preview if p["tld"] == "alpha")
        assert "Removed entry old.rsp.example" in alpha["lines"]
        # Checking stages nothing.
        assert db.session.scalar(select(func.count()).select_from(BulkTldChange)) == 0


def test_a_file_with_errors_is_refused_with_every_finding_and_nothing_staged(app, rsp_world):
    bad = (
        b"tld,domain_name,roles,ip_acl\n"
        b"alpha,ok.rsp.example,mosapi-slam,192.0.2.0/24\n"
        b"beta,b.rsp.example,mosapi-slam,192.0.2.0/24\n"  # operator B's, not RSP One's
        b"alpha,bad_name,mosapi-slam,192.0.2.1/24\n"
    )
    with app.app_context():
        upload = checked(bad)
        assert upload.status == UploadStatus.INVALID
        where = {(f["line"], f["column"]) for f in upload.findings if f["severity"] == "error"}
        assert (3, "tld") in where and (4, "domain_name") in where and (4, "ip_acl") in where
        beta = next(f for f in upload.findings if f["line"] == 3)
        assert beta["message"].startswith(".beta is not one of your TLDs")
        assert "RSP of record" in beta["message"] and "registry operator" not in beta["message"]
        assert upload.plan is None
        with pytest.raises(Invalid):
            bulk_uploads.submit(
                db.session,
                upload,
                user("rsp@rsp.example"),
                attest=True,
                name="R",
                title="T",
                notice_days=7,
            )
        assert db.session.scalar(select(func.count()).select_from(BulkTldChange)) == 0


def test_only_an_rsp_may_upload_and_a_file_over_the_limit_is_never_stored(app, rsp_world):
    with app.app_context():
        with pytest.raises(bulk_uploads.Forbidden):
            checked(email="a@operator-a.example")
        with pytest.raises(Invalid) as refused:
            bulk_uploads.create_upload(
                db.session,
                user("rsp@rsp.example"),
                b"x" * (MiB + 1),
                filename="big.csv",
                channel="ui",
                max_bytes=MiB,
            )
        assert "limit" in str(refused.value)
        assert db.session.scalar(select(func.count()).select_from(BulkUpload)) == 0


def test_submit_needs_the_whole_attestation_and_then_stages_and_notifies(app, rsp_world):
    with app.app_context():
        upload = checked()
        rsp = user("rsp@rsp.example")
        with pytest.raises(Invalid) as refused:
            bulk_uploads.submit(
                db.session, upload, rsp, attest=False, name=" ", title="", notice_days=7
            )
        assert {f.field for f in refused.value.errors} == {"attest", "attest_name", "attest_title"}
        assert upload.status == UploadStatus.READY and upload.submitted_at is None
        now = utcnow()
        bulk_uploads.submit(
            db.session,
            upload,
            rsp,
            attest="y",
            name="  Rita   Sample ",
            title="Head of Ops",
            notice_days=7,
            now=now,
        )
        db.session.refresh(upload)
        assert upload.status == UploadStatus.SUBMITTED
        assert upload.attested_name == "Rita Sample" and upload.attested_by == rsp.email
        assert upload.attestation_text == bulk_uploads.statement("RSP One")
        changes = {c.tld: c for c in upload.changes}
        assert set(changes) == {"alpha", "gamma", "delta"}
        assert all(c.status == ChangeStatus.PENDING for c in changes.values())
        assert changes["alpha"].base_version == tld("alpha").version
        assert abs(
            (changes["alpha"].due_at.replace(tzinfo=None) - now.replace(tzinfo=None))
            - timedelta(days=7)
        ) < timedelta(seconds=1)
        # Nothing is loaded yet.
        assert entries("alpha") == ["keep.rsp.example", "old.rsp.example"]
        # One notification per operator user: A one for alpha and gamma, C's two users one each.
        assert len(inbox_subjects("a@operator-a.example")) == 1
        assert len(inbox_subjects("c1@operator-c.example")) == 1
        assert len(inbox_subjects("c2@operator-c.example")) == 1
        assert inbox_subjects("b@operator-b.example") == []
        mails = db.session.scalars(select(OutboxMessage.to_address)).all()
        assert sorted(mails) == [
            "a@operator-a.example",
            "c1@operator-c.example",
            "c2@operator-c.example",
        ]
        staged = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "bulk-staged")
        ).all()
        assert {e.tld_id for e in staged} == {tld(n).id for n in ("alpha", "gamma", "delta")}
        assert all(e.channel == "bulk" and e.bulk_upload_id == upload.id for e in staged)


def test_the_submitted_file_and_attestation_cannot_change(app, rsp_world):
    with app.app_context():
        upload = submitted()
        upload.attested_name = "Someone Else"
        with pytest.raises(AttestationChanged):
            db.session.commit()
        db.session.rollback()
        upload.file = b"other"
        with pytest.raises(AttestationChanged):
            db.session.commit()
        db.session.rollback()
        db.session.refresh(upload)
        assert upload.attested_name == "Rita Sample" and upload.file == FILE


def test_accept_loads_at_once_audited_as_bulk_and_tells_the_rsp(app, rsp_world):
    with app.app_context():
        upload = submitted()
        alpha = tld("alpha")
        version = alpha.version
        change = bulk_changes.get_change(
            db.session, user("a@operator-a.example"), upload.id, "alpha"
        )
        bulk_changes.accept(
            db.session, user("a@operator-a.example"), change, expected_version=version
        )
        assert change.status == ChangeStatus.ACCEPTED and change.loaded_version == version + 1
        assert entries("alpha") == ["keep.rsp.example", "new.rsp.example"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bulk-accepted"))
        assert event.channel == "bulk" and event.bulk_upload_id == upload.id
        assert event.version_after == version + 1 and event.actor == "a@operator-a.example"
        assert any("accepted" in s for s in inbox_subjects("rsp@rsp.example"))
        # The others stay pending.
        assert change_of(upload, "gamma").status == ChangeStatus.PENDING


def test_accept_against_a_stale_version_loads_nothing(app, rsp_world):
    with app.app_context():
        upload = submitted()
        version = tld("alpha").version
        op = user("a@operator-a.example")
        change = bulk_changes.get_change(db.session, op, upload.id, "alpha")
        with pytest.raises(Conflict):
            bulk_changes.accept(db.session, op, change, expected_version=version - 1)
        db.session.refresh(change)
        assert change.status == ChangeStatus.PENDING
        assert entries("alpha") == ["keep.rsp.example", "old.rsp.example"]


def test_only_the_operator_answers_and_others_do_not_even_see_the_change(app, rsp_world):
    with app.app_context():
        upload = submitted()
        rsp = user("rsp@rsp.example")
        change = bulk_changes.get_change(db.session, rsp, upload.id, "alpha")
        with pytest.raises(bulk_uploads.Forbidden):
            bulk_changes.accept(db.session, rsp, change, expected_version=tld("alpha").version)
        with pytest.raises(NotFound):
            bulk_changes.get_change(db.session, user("b@operator-b.example"), upload.id, "alpha")
        with pytest.raises(NotFound):
            bulk_uploads.get_upload(db.session, user("nobody@other.example"), upload.id)
        # Operator C sees the upload but only delta's change.
        c1 = user("c1@operator-c.example")
        seen = bulk_uploads.visible_changes(
            db.session, c1, bulk_uploads.get_upload(db.session, c1, upload.id)
        )
        assert [c.tld for c in seen] == ["delta"]


def test_object_withdraws_and_the_rsp_gets_the_reason(app, rsp_world):
    with app.app_context():
        upload = submitted()
        c1 = user("c1@operator-c.example")
        change = bulk_changes.get_change(db.session, c1, upload.id, "delta")
        bulk_changes.object_to(
            db.session, c1, change, note="We never authorized this.", channel="ui"
        )
        assert change.status == ChangeStatus.OBJECTED and change.decided_by == c1.email
        notes = db.session.scalars(
            select(Notification).where(Notification.user_id == user("rsp@rsp.example").id)
        ).all()
        assert any("We never authorized this." in n.body for n in notes)
        with pytest.raises(Invalid):
            bulk_changes.accept(db.session, c1, change, expected_version=tld("delta").version)
        # An objected change never loads, even after its notice period.
        later = utcnow() + timedelta(days=8)
        outcome = bulk_changes.load_due(db.session, now=later)
        assert "delta" not in outcome.loaded and entries("delta") == []


def test_notice_period_end_loads_the_rest_and_flags_a_tld_edited_since(app, rsp_world):
    with app.app_context():
        upload = submitted()
        # Operator A edits gamma after the upload: that change must not overwrite it.
        gamma = tld("gamma")
        configuration.add_entry(
            db.session,
            gamma,
            "own.operator-a.example",
            ["mosapi-slam"],
            ["192.0.2.0/24"],
            gamma.version,
            configuration.Actor("a@operator-a.example", "ui"),
            LIMITS,
        )
        assert bulk_changes.load_due(db.session, now=utcnow() + timedelta(days=6)).loaded == []
        outcome = bulk_changes.load_due(db.session, now=utcnow() + timedelta(days=7, minutes=1))
        assert sorted(outcome.loaded) == ["alpha", "delta"] and outcome.conflicts == ["gamma"]
        assert entries("gamma") == ["own.operator-a.example"]
        assert entries("delta") == ["delta.rsp.example"]
        conflict = change_of(upload, "gamma")
        assert conflict.status == ChangeStatus.CONFLICT and "version" in conflict.note
        assert any("not loaded" in s for s in inbox_subjects("a@operator-a.example"))
        assert any("not loaded" in s for s in inbox_subjects("rsp@rsp.example"))
        loads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "bulk-loaded")
        ).all()
        assert {e.tld_id for e in loads} == {tld("alpha").id, tld("delta").id}
        # Running again loads nothing twice.
        assert bulk_changes.load_due(db.session, now=utcnow() + timedelta(days=9)).loaded == []
        # The operator can still accept the flagged change against what it has now.
        op = user("a@operator-a.example")
        bulk_changes.accept(db.session, op, conflict, expected_version=tld("gamma").version)
        assert entries("gamma") == ["gamma.rsp.example"]


def test_the_notice_period_load_writes_what_an_edit_would(app, rsp_world):
    """Loading at the end of the notice period writes rows, version and History in bulk: the
    History event's after-state must be exactly the TLD as it now reads, password dates too."""
    with app.app_context():
        delta = tld("delta")
        configuration.set_password(
            db.session,
            delta,
            "ry",
            "a-long-password-1",
            delta.version,
            configuration.Actor("c1@operator-c.example", "ui"),
        )
        configuration.add_entry(
            db.session,
            delta,
            "delta.rsp.example",
            ["rri-monthly-reports"],
            ["192.0.2.0/24"],
            delta.version,
            configuration.Actor("c1@operator-c.example", "ui"),
            LIMITS,
        )
        upload = submitted()
        before = {n: tld(n).version for n in ("alpha", "gamma", "delta")}
        bulk_changes.load_due(db.session, now=utcnow() + timedelta(days=8))
        db.session.expire_all()
        for name in ("alpha", "gamma", "delta"):
            t = tld(name)
            event = db.session.scalar(
                select(AuditEvent).where(
                    AuditEvent.tld_id == t.id, AuditEvent.action == "bulk-loaded"
                )
            )
            assert t.version == before[name] + 1 == event.version_after
            assert event.after == configuration.snapshot(t)
            assert [e["domain_name"] for e in event.after["entries"]] == [
                e.domain_name for e in t.entries
            ]
            assert change_of(upload, name).loaded_version == t.version
        assert list(configuration.snapshot(tld("delta"))["passwords"]) == ["delta_ry"]
        # An entry kept with other roles and prefixes is updated in place.
        (kept,) = tld("delta").entries
        assert (kept.roles, kept.ip_acl) == (["mosapi-slam"], ["203.0.113.0/24"])
        # Kept entries keep their place; alpha's roles and prefixes are the file's.
        assert [e.domain_name for e in tld("alpha").entries] == [
            "keep.rsp.example",
            "new.rsp.example",
        ]
        new = tld("alpha").entries[1]
        assert new.roles == ["rri-monthly-reports", "mosapi-slam"] and new.ip_acl == [
            "198.51.100.0/24",
            "2001:db8::/48",
        ]


def test_icann_staff_load_or_cancel_by_hand(app, rsp_world):
    with app.app_context():
        upload = submitted()
        staff, op = user("staff@icann.example"), user("a@operator-a.example")
        alpha = bulk_changes.get_change(db.session, staff, upload.id, "alpha")
        with pytest.raises(bulk_uploads.Forbidden):
            bulk_changes.load_now(db.session, op, alpha, channel="ui")
        bulk_changes.load_now(db.session, staff, alpha, channel="ui")
        assert alpha.status == ChangeStatus.LOADED and entries("alpha") == [
            "keep.rsp.example",
            "new.rsp.example",
        ]
        gamma = bulk_changes.get_change(db.session, staff, upload.id, "gamma")
        bulk_changes.cancel(db.session, staff, gamma, note="Operator asked by phone.", channel="ui")
        assert gamma.status == ChangeStatus.CANCELLED
        assert any("cancelled" in s for s in inbox_subjects("a@operator-a.example"))
        assert bulk_changes.load_due(db.session, now=utcnow() + timedelta(days=8)).loaded == [
            "delta"
        ]


def test_one_upload_per_rsp_until_icann_staff_allow_another(app, rsp_world):
    second = b"tld,domain_name,roles,ip_acl\ngamma,g2.rsp.example,mosapi-slam,192.0.2.0/24\n"
    with app.app_context():
        first = submitted()
        # gamma's change is still open: a second upload naming it is refused at check time.
        refused = checked(second)
        assert refused.status == UploadStatus.INVALID
        assert any("still has a bulk change open" in f["message"] for f in refused.findings)
        bulk_changes.load_due(db.session, now=utcnow() + timedelta(days=8))
        upload = checked(second)
        assert upload.status == UploadStatus.READY
        rsp = user("rsp@rsp.example")
        with pytest.raises(bulk_uploads.Forbidden) as rule:
            bulk_uploads.submit(
                db.session, upload, rsp, attest=True, name="R S", title="T", notice_days=7
            )
        assert f"#{first.id}" in str(rule.value) and "ICANN staff can allow another" in str(
            rule.value
        )
        with pytest.raises(bulk_uploads.Forbidden):
            bulk_uploads.allow_another(db.session, rsp.organisation, rsp)
        bulk_uploads.allow_another(db.session, rsp.organisation, user("staff@icann.example"))
        bulk_uploads.submit(
            db.session, upload, rsp, attest=True, name="R S", title="T", notice_days=7
        )
        assert upload.sequence == 2 and upload.status == UploadStatus.SUBMITTED


def test_history_tells_the_whole_story(app, rsp_world):
    with app.app_context():
        upload = submitted()
        op = user("a@operator-a.example")
        change = bulk_changes.get_change(db.session, op, upload.id, "alpha")
        bulk_changes.accept(db.session, op, change, expected_version=tld("alpha").version)
        story = [
            line
            for event in configuration.history(db.session, tld("alpha"))
            for line in configuration.summarise(event).changes
        ]
        assert f"Accepted and loaded from bulk upload #{upload.id}" in story
        assert any(s.startswith(f"Bulk upload #{upload.id} staged by RSP One") for s in story)
        assert "Removed entry old.rsp.example" in story
