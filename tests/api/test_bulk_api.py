"""The bulk upload over the JSON API, on the real app and database: multipart and JSON
uploads, dry-run previews, placed findings, every refusal's status and body, the size limit
of the route, accept/object/load/cancel with version conflicts, what each organisation sees,
and CSRF when a portal session posts."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from infra.database import db
from portal.core.validation import Limits
from portal.models import BulkTldChange, BulkUpload, Notification, Tld
from portal.services import bulk_uploads, configuration, directory
from tests.helpers import PASSWORD, api_token
from tests.smtp_server import SmtpServer

API = "/api/v1"
UPLOADS = f"{API}/bulk-uploads"
ATTESTATION = {"attest": "yes", "attest_name": "Rita Sample", "attest_title": "Head of Ops"}
CSV = (
    "\ufefftld,domain_name,roles,ip_acl\r\n"
    "alpha,keep.rsp.example,mosapi-slam,192.0.2.0/24\r\n"
    "alpha,new.rsp.example,rri-monthly-reports;mosapi-slam,198.51.100.0/24;2001:db8::/48\r\n"
    "gamma,gamma.rsp.example,mosapi-slam,203.0.113.0/24\r\n"
    "delta,delta.rsp.example,mosapi-slam,203.0.113.0/24\r\n"
).encode()
# The JSON body: the file's entries and the request's fields, spaced as a person writes it.
BODY = b"""{
  "entries": [
    {"tld": "alpha", "domain_name": "keep.rsp.example", "roles": ["mosapi-slam"],
     "ip_acl": ["192.0.2.0/24"]},
    {"tld": "delta", "domain_name": "delta.rsp.example", "roles": ["mosapi-slam"],
     "ip_acl": ["203.0.113.0/24"]}
  ],
  "attest": true,
  "attest_name": "Rita Sample",
  "attest_title": "Head of Ops"
}
"""
ENTRY = {"domain_name": "keep.rsp.example", "roles": ["mosapi-slam"], "ip_acl": ["192.0.2.0/24"]}
OLD = {"domain_name": "old.rsp.example", "roles": ["mosapi-slam"], "ip_acl": ["192.0.2.0/24"]}
WHO = {
    "icann": "staff@icann.example",
    "rsp": "rsp@rsp.example",
    "op_a": "a@operator-a.example",
    "op_b": "b@operator-b.example",
    "op_c": "c@operator-c.example",
    "other_rsp": "nobody@other.example",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tok(app, world) -> dict[str, str]:
    """RSP One is RSP of record for alpha and gamma (operator A) and delta (operator C);
    alpha holds keep.rsp.example and old.rsp.example. An API token per user."""
    with app.app_context():
        s = db.session
        directory.create_organisation(s, "Operator C", "registry-operator")
        directory.create_user(s, WHO["op_c"], "Operator C", PASSWORD)
        directory.add_tld(s, "gamma", "Operator A", "RSP One")
        directory.add_tld(s, "delta", "Operator C", "RSP One")
        alpha = tld("alpha")
        configuration.replace_entries(
            s,
            alpha,
            [ENTRY, OLD],
            alpha.version,
            configuration.Actor(WHO["op_a"], "ui"),
            Limits(),
        )
    return {who: api_token(app, email) for who, email in WHO.items()}


def tld(name: str) -> Tld:
    return db.session.scalar(select(Tld).where(Tld.name == name))


def entries_of(app, name: str) -> list[str]:
    with app.app_context():
        return sorted(e.domain_name for e in tld(name).entries)


def version_of(app, name: str) -> int:
    with app.app_context():
        return tld(name).version


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def multipart(
    client, token: str, data: bytes = CSV, filename: str = "rsp.csv", **fields: str
) -> Any:
    return client.post(
        UPLOADS,
        data={"file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
        headers=bearer(token),
    )


def post_json(client, token: str, body: bytes = BODY) -> Any:
    return client.post(UPLOADS, data=body, content_type="application/json", headers=bearer(token))


def submitted(client, tok, data: bytes = CSV) -> dict[str, Any]:
    answer = multipart(client, tok["rsp"], data, **ATTESTATION)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def act(client, token: str, upload_id: int, name: str, action: str, body: Any = None) -> Any:
    return client.post(
        f"{UPLOADS}/{upload_id}/tlds/{name}/{action}",
        json=body if body is not None else ({} if action != "load" else None),
        headers=bearer(token),
    )


def error(answer) -> dict[str, Any]:
    assert answer.is_json, answer.get_data(as_text=True)
    return answer.get_json()["error"]


# --------------------------------------------------------------------------- uploading


def test_multipart_dry_run_previews_stages_nothing_and_keeps_the_file(app, client, tok):
    answer = multipart(client, tok["rsp"], dry_run="true")
    assert answer.status_code == 200, answer.get_json()
    doc = answer.get_json()
    assert doc["status"] == "ready" and doc["rsp"] == "RSP One"
    assert doc["filename"] == "rsp.csv" and doc["format"] == "csv"
    assert doc["size"] == len(CSV) and doc["sha256"] == hashlib.sha256(CSV).hexdigest()
    assert doc["uploaded_by"] == WHO["rsp"] and doc["submitted_at"] is None
    assert doc["attestation"] is None and doc["tlds"] == []
    totals = doc["preview"]["totals"]
    assert totals["tlds"] == 3 and totals["tlds_changed"] == 3
    assert totals["entries_added"] == 3  # new.rsp, gamma.rsp, delta.rsp
    assert totals["entries_removed"] == 1  # old.rsp
    assert totals["entries_unchanged"] == 1  # keep.rsp
    rows = {row["tld"]: row for row in doc["preview"]["tlds"]}
    assert list(rows) == ["alpha", "delta", "gamma"]
    assert (rows["alpha"]["added"], rows["alpha"]["removed"], rows["alpha"]["unchanged"]) == (
        1,
        1,
        1,
    )
    assert "Removed entry old.rsp.example" in rows["alpha"]["changes"]
    assert rows["gamma"]["access_gained"] == 1 and rows["gamma"]["access_lost"] == 0
    assert count(app, BulkTldChange) == 0
    assert entries_of(app, "alpha") == ["keep.rsp.example", "old.rsp.example"]
    # The file comes back byte for byte, and the dry run can be submitted as it is.
    file = client.get(f"{UPLOADS}/{doc['id']}/file", headers=bearer(tok["rsp"]))
    assert file.status_code == 200 and file.data == CSV
    assert (
        file.mimetype == "text/csv" and 'filename="rsp.csv"' in file.headers["Content-Disposition"]
    )
    answer = client.post(
        f"{UPLOADS}/{doc['id']}/submit",
        json={**ATTESTATION, "attest": True},
        headers=bearer(tok["rsp"]),
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "submitted"
    assert [t["tld"] for t in answer.get_json()["tlds"]] == ["alpha", "delta", "gamma"]


def test_a_json_body_is_stored_byte_for_byte_and_staged(app, client, tok):
    answer = post_json(client, tok["rsp"])
    assert answer.status_code == 201, answer.get_json()
    doc = answer.get_json()
    assert answer.headers["Location"] == f"{UPLOADS}/{doc['id']}"
    assert doc["status"] == "submitted" and doc["filename"] == "upload.json"
    assert doc["format"] == "json" and doc["sha256"] == hashlib.sha256(BODY).hexdigest()
    assert doc["attestation"] == {
        "statement": bulk_uploads.statement("RSP One"),
        "name": "Rita Sample",
        "title": "Head of Ops",
        "by": WHO["rsp"],
    }
    assert doc["notice_ends_at"] and doc["counts"]["pending"] == 2
    alpha = doc["tlds"][0]
    assert alpha["tld"] == "alpha" and alpha["status"] == "pending"
    assert alpha["base_version"] == alpha["tld_version"] == version_of(app, "alpha")
    assert alpha["due_at"] == doc["notice_ends_at"]
    assert alpha["changes"] == ["Removed entry old.rsp.example"]
    file = client.get(f"{UPLOADS}/{doc['id']}/file", headers=bearer(tok["icann"]))
    assert file.data == BODY and file.mimetype == "application/json"
    # Staged, not loaded; each operator was told.
    assert entries_of(app, "alpha") == ["keep.rsp.example", "old.rsp.example"]
    with app.app_context():
        told = db.session.scalars(select(Notification.upload_id)).all()
    assert told == [doc["id"], doc["id"]]  # operator A (alpha) and operator C (delta)
    again = client.get(answer.headers["Location"], headers=bearer(tok["rsp"]))
    assert again.get_json() == doc


def test_a_json_file_keeps_refusing_keys_that_are_not_the_requests(client, tok):
    body = json.dumps({"entries": json.loads(BODY)["entries"], "dry_run": True, "atest": True})
    answer = post_json(client, tok["rsp"], body.encode())
    assert answer.status_code == 422
    errors = [f for f in answer.get_json()["findings"] if f["severity"] == "error"]
    assert [f["column"] for f in errors] == ["atest"]
    assert "Unknown key" in errors[0]["message"]


def test_the_requests_keys_are_the_apis_alone(app, tok):
    """The same JSON file uploaded on the portal's page: its file holds no request fields."""
    with app.app_context():
        upload = bulk_uploads.create_upload(
            db.session,
            directory.get_user(db.session, WHO["rsp"]),
            BODY,
            filename="rsp.json",
            channel="ui",
            max_bytes=1 << 20,
        )
        upload = bulk_uploads.check_upload(db.session, upload, Limits())
        errors = [f["column"] for f in upload.findings if f["severity"] == "error"]
    assert errors == ["attest", "attest_name", "attest_title"]


def test_invalid_files_answer_every_finding_placed_by_line_and_column(app, client, tok):
    bad = (
        b"tld,domain_name,roles,ip_acl\n"
        b"alpha,ok.rsp.example,mosapi-slam,192.0.2.0/24\n"
        b"beta,b.rsp.example,mosapi-slam,192.0.2.0/24\n"  # operator B's, not RSP One's
        b"alpha,bad_name,mosapi-slam,192.0.2.1/24\n"
    )
    answer = multipart(client, tok["rsp"], bad, **ATTESTATION)
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"]["code"] == "invalid_file"
    assert body["error"]["message"].startswith("The file has 3 errors; nothing was staged")
    placed = {(f["line"], f["column"]) for f in body["findings"] if f["severity"] == "error"}
    assert placed == {(3, "tld"), (4, "domain_name"), (4, "ip_acl")}
    assert all(f["entry"] is None for f in body["findings"])
    fields = [d["field"] for d in body["error"]["details"]]
    assert fields == ["line 3, column tld", "line 4, column domain_name", "line 4, column ip_acl"]
    assert "RSP of record" in body["findings"][0]["message"]
    # The refused upload is kept with its findings; nothing was staged.
    stored = client.get(f"{UPLOADS}/{body['upload_id']}", headers=bearer(tok["rsp"]))
    assert stored.get_json()["status"] == "invalid"
    assert stored.get_json()["findings"] == body["findings"]
    assert count(app, BulkTldChange) == 0
    # A JSON body's findings name the entry and key instead.
    doc = json.loads(BODY)
    doc["entries"][1]["roles"] = ["mosapi-nope"]
    answer = post_json(client, tok["rsp"], json.dumps(doc).encode())
    assert answer.status_code == 422
    [finding] = [f for f in answer.get_json()["findings"] if f["severity"] == "error"]
    assert (finding["entry"], finding["column"], finding["line"]) == (2, "roles", None)
    assert error(answer)["details"] == [{"field": "entry 2, roles", "message": finding["message"]}]


def test_a_body_that_is_not_json_says_where_it_breaks(client, tok):
    answer = post_json(client, tok["rsp"], b'{"entries": [\n  {"tld": "alpha",}\n]}')
    assert answer.status_code == 400
    assert error(answer)["code"] == "invalid_json"
    assert "(line 2, column 19)" in error(answer)["message"]
    answer = client.post(UPLOADS, data=CSV, content_type="text/csv", headers=bearer(tok["rsp"]))
    assert answer.status_code == 415
    assert error(answer)["code"] == "unsupported_media_type"
    # A form without a file part.
    answer = client.post(
        UPLOADS,
        data={"file": "tld,domain_name,roles,ip_acl", **ATTESTATION},
        content_type="multipart/form-data",
        headers=bearer(tok["rsp"]),
    )
    assert answer.status_code == 400
    assert [d["field"] for d in error(answer)["details"]] == ["file"]
    # The request's own fields have JSON types.
    doc = {**json.loads(BODY), "dry_run": "yes"}
    answer = post_json(client, tok["rsp"], json.dumps(doc).encode())
    assert answer.status_code == 400
    assert [d["field"] for d in error(answer)["details"]] == ["dry_run"]
    assert count_uploads(client, tok) == 0


def count_uploads(client, tok) -> int:
    return len(client.get(UPLOADS, headers=bearer(tok["icann"])).get_json()["uploads"])


def test_only_an_rsp_uploads(client, tok):
    for who in ("op_a", "icann"):
        answer = multipart(client, tok[who], **ATTESTATION)
        assert answer.status_code == 403
        assert error(answer)["code"] == "forbidden"
        assert "Only an RSP's users" in error(answer)["message"]
    assert count_uploads(client, tok) == 0


def test_an_incomplete_attestation_leaves_the_upload_ready_to_submit(app, client, tok):
    answer = multipart(client, tok["rsp"], attest_name="  ")
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"]["code"] == "invalid_attestation"
    upload_id = body["upload_id"]
    assert f"POSTing the attestation to {UPLOADS}/{upload_id}/submit" in body["error"]["message"]
    fields = [d["field"] for d in body["error"]["details"]]
    assert fields == ["attest", "attest_name", "attest_title"] and body["findings"] == []
    assert count(app, BulkTldChange) == 0
    submit = f"{UPLOADS}/{upload_id}/submit"
    answer = client.post(submit, json={"attest": True}, headers=bearer(tok["rsp"]))
    assert answer.status_code == 422
    assert [d["field"] for d in error(answer)["details"]] == ["attest_name", "attest_title"]
    # Nobody but its RSP submits it.
    answer = client.post(submit, json={"attest": True}, headers=bearer(tok["icann"]))
    assert answer.status_code == 403 and "RSP One" in error(answer)["message"]
    answer = client.post(submit, json={"attest": True}, headers=bearer(tok["other_rsp"]))
    assert answer.status_code == 404
    attested = {**ATTESTATION, "attest": True}
    answer = client.post(submit, json=attested, headers=bearer(tok["rsp"]))
    assert answer.status_code == 200 and answer.get_json()["counts"]["pending"] == 3
    # Once submitted, it is final.
    answer = client.post(submit, json=attested, headers=bearer(tok["rsp"]))
    assert answer.status_code == 422
    assert error(answer)["code"] == "not_submittable"
    assert "submitted" in error(answer)["message"]


def test_one_upload_per_rsp_until_icann_staff_allow_another(app, client, tok):
    first = submitted(client, tok)
    for action, tld_name in (("cancel", "alpha"), ("cancel", "gamma"), ("cancel", "delta")):
        assert act(client, tok["icann"], first["id"], tld_name, action).status_code == 200
    answer = multipart(client, tok["rsp"], **ATTESTATION)
    assert answer.status_code == 403
    message = error(answer)["message"]
    assert f"already submitted its bulk upload (#{first['id']}" in message
    assert "ICANN staff can allow another" in message
    # The checked upload stays ready: once allowed, it is submitted as it is.
    ready = client.get(UPLOADS + "?status=ready", headers=bearer(tok["rsp"])).get_json()
    [upload] = ready["uploads"]
    with app.app_context():
        bulk_uploads.allow_another(
            db.session,
            directory.get_organisation(db.session, "RSP One"),
            directory.get_user(db.session, WHO["icann"]),
        )
    answer = client.post(
        f"{UPLOADS}/{upload['id']}/submit",
        json={**ATTESTATION, "attest": True},
        headers=bearer(tok["rsp"]),
    )
    assert answer.status_code == 200 and answer.get_json()["status"] == "submitted"


def test_a_tld_with_an_open_change_cannot_be_uploaded_again(client, tok):
    first = submitted(client, tok)
    answer = multipart(client, tok["rsp"], dry_run="1")
    assert answer.status_code == 422
    messages = [f["message"] for f in answer.get_json()["findings"]]
    assert any(
        f"upload #{first['id']}" in m and "still has a bulk change open" in m for m in messages
    )


# --------------------------------------------------------------------------- size


def padded_json(size: int) -> bytes:
    """A valid JSON bulk body of exactly `size` bytes (trailing blanks)."""
    body = json.dumps({"entries": json.loads(BODY)["entries"], "dry_run": True}).encode()
    return body + b" " * (size - len(body))


def test_the_route_takes_files_over_the_apps_request_limit(app, client, tok):
    app_limit = app.config["MAX_CONTENT_LENGTH"]
    assert app.config["BULK_MAX_BYTES"] > app_limit + 1024 * 1024
    big = padded_json(app_limit + 1024 * 1024)
    answer = post_json(client, tok["rsp"], big)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["size"] == len(big)
    answer = multipart(client, tok["rsp"], big, "big.json", dry_run="yes")
    assert answer.status_code == 200, answer.get_json()
    # Other routes keep the app's limit.
    answer = client.put(
        f"{API}/tlds/alpha/tls-client-auth",
        data=b"{" + b" " * app_limit + b"}",
        content_type="application/json",
        headers=bearer(tok["rsp"]) | {"If-Match": "1"},
    )
    assert answer.status_code == 413 and error(answer)["code"] == "too_large"


def test_a_file_over_the_bulk_limit_is_413_and_never_stored(app, client, tok):
    app.config["BULK_MAX_BYTES"] = limit = 4096
    for body in (padded_json(limit + 1), padded_json(limit + 200 * 1024)):
        answer = post_json(client, tok["rsp"], body)
        assert answer.status_code == 413, answer.get_json()
        assert error(answer)["code"] == "too_large"
        assert "4,096 bytes" in error(answer)["message"]
        answer = multipart(client, tok["rsp"], body, "big.json")
        assert answer.status_code == 413
        assert "4,096 bytes" in error(answer)["message"]
    assert count(app, BulkUpload) == 0
    answer = post_json(client, tok["rsp"], padded_json(limit))
    assert answer.status_code == 200


# --------------------------------------------------------------------------- answering


def test_accept_loads_at_once_and_a_stale_version_is_a_409(app, client, tok):
    upload = submitted(client, tok)
    version = version_of(app, "alpha")
    answer = act(client, tok["op_a"], upload["id"], "alpha", "accept", {"version": version - 1})
    assert answer.status_code == 409
    body = answer.get_json()
    assert body["error"]["code"] == "version_conflict"
    assert f"now version {version}; you reviewed version {version - 1}" in body["error"]["message"]
    assert body["current"]["version"] == version and len(body["current"]["entries"]) == 2
    assert [c["version"] for c in body["changes"]] == [version]
    assert entries_of(app, "alpha") == ["keep.rsp.example", "old.rsp.example"]
    # The RSP and ICANN staff do not answer for the operator; another operator sees nothing.
    for who, status in (("rsp", 403), ("icann", 403), ("op_b", 404), ("other_rsp", 404)):
        answer = act(client, tok[who], upload["id"], "alpha", "accept", {"version": version})
        assert answer.status_code == status, who
    assert (
        "Only the registry operator of .alpha"
        in error(act(client, tok["rsp"], upload["id"], "alpha", "accept", {"version": version}))[
            "message"
        ]
    )
    answer = act(client, tok["op_a"], upload["id"], "alpha", "accept", {"version": version})
    assert answer.status_code == 200, answer.get_json()
    change = answer.get_json()
    assert change["status"] == "accepted" and change["decided_by"] == WHO["op_a"]
    assert change["loaded_version"] == change["tld_version"] == version + 1
    assert change["loaded_at"] and change["decided_at"]
    assert entries_of(app, "alpha") == ["keep.rsp.example", "new.rsp.example"]
    # Answered once only.
    answer = act(client, tok["op_a"], upload["id"], "alpha", "accept", {"version": version + 1})
    assert answer.status_code == 422
    assert error(answer)["code"] == "change_refused"
    assert "already accepted" in error(answer)["message"]
    # The version is required and a number.
    for body in ({}, {"version": str(version)}):
        answer = act(client, tok["op_a"], upload["id"], "gamma", "accept", body)
        assert answer.status_code == 400
        assert [d["field"] for d in error(answer)["details"]] == ["version"]


def test_object_withdraws_with_the_reason_told_to_the_rsp(app, client, tok):
    upload = submitted(client, tok)
    answer = act(client, tok["op_c"], upload["id"], "delta", "object", {"note": "x" * 1001})
    assert answer.status_code == 422 and error(answer)["details"][0]["field"] == "note"
    answer = act(client, tok["rsp"], upload["id"], "delta", "object", {"note": "No"})
    assert answer.status_code == 403
    answer = act(client, tok["op_c"], upload["id"], "delta", "object", {"note": "Never asked."})
    assert answer.status_code == 200
    change = answer.get_json()
    assert change["status"] == "objected" and change["note"] == "Never asked."
    assert change["loaded_at"] is None and entries_of(app, "delta") == []
    with app.app_context():
        rsp = directory.get_user(db.session, WHO["rsp"])
        bodies = db.session.scalars(
            select(Notification.body).where(Notification.user_id == rsp.id)
        ).all()
    assert any("Never asked." in b for b in bodies)
    answer = act(client, tok["icann"], upload["id"], "delta", "load")
    assert answer.status_code == 422 and "already objected" in error(answer)["message"]


def test_icann_staff_load_and_cancel_and_a_tld_edited_since_becomes_a_conflict(app, client, tok):
    upload = submitted(client, tok)
    for who in ("op_a", "rsp"):
        assert act(client, tok[who], upload["id"], "alpha", "load").status_code == 403
        assert act(client, tok[who], upload["id"], "alpha", "cancel").status_code == 403
    answer = act(client, tok["icann"], upload["id"], "alpha", "load")
    assert answer.status_code == 200 and answer.get_json()["status"] == "loaded"
    assert answer.get_json()["decided_by"] == WHO["icann"]
    assert entries_of(app, "alpha") == ["keep.rsp.example", "new.rsp.example"]
    answer = act(client, tok["icann"], upload["id"], "delta", "cancel", {"note": "By phone."})
    assert answer.status_code == 200
    assert (answer.get_json()["status"], answer.get_json()["note"]) == ("cancelled", "By phone.")
    # Operator A edits gamma: loading it now would overwrite that, so it becomes a conflict.
    gamma_version = version_of(app, "gamma")
    edit = client.put(
        f"{API}/tlds/gamma/tls-client-auth",
        json={"entries": [{**ENTRY, "domain_name": "own.operator-a.example"}]},
        headers=bearer(tok["op_a"]) | {"If-Match": str(gamma_version)},
    )
    assert edit.status_code == 200
    answer = act(client, tok["icann"], upload["id"], "gamma", "load")
    assert answer.status_code == 200
    change = answer.get_json()
    assert change["status"] == "conflict" and "version" in change["note"]
    assert change["base_version"] == gamma_version and change["tld_version"] == gamma_version + 1
    # Its sentences now compare with what gamma has now.
    assert "Removed entry own.operator-a.example" in change["changes"]
    assert any(line.startswith("Added entry gamma.rsp.example") for line in change["changes"])
    assert entries_of(app, "gamma") == ["own.operator-a.example"]
    answer = act(client, tok["icann"], upload["id"], "gamma", "load")
    assert answer.status_code == 422 and "only its registry operator" in error(answer)["message"]
    # The operator accepts it against what it has now.
    answer = act(
        client, tok["op_a"], upload["id"], "gamma", "accept", {"version": change["tld_version"]}
    )
    assert answer.status_code == 200 and answer.get_json()["status"] == "accepted"
    assert entries_of(app, "gamma") == ["gamma.rsp.example"]
    doc = client.get(f"{UPLOADS}/{upload['id']}", headers=bearer(tok["rsp"])).get_json()
    assert doc["counts"] == {
        "pending": 0,
        "accepted": 1,
        "objected": 0,
        "loaded": 1,
        "conflict": 0,
        "cancelled": 1,
    }


def test_an_unknown_upload_or_tld_change_is_404(client, tok):
    upload = submitted(client, tok)
    missing = [
        ("get", f"{UPLOADS}/999999"),
        ("get", f"{UPLOADS}/999999/file"),
        ("post", f"{UPLOADS}/999999/submit"),
        ("post", f"{UPLOADS}/999999/tlds/alpha/cancel"),
        ("post", f"{UPLOADS}/{upload['id']}/tlds/beta/cancel"),  # a TLD not in the upload
        ("post", f"{UPLOADS}/{upload['id']}/tlds/nosuch/cancel"),
    ]
    for method, url in missing:
        answer = getattr(client, method)(url, json={}, headers=bearer(tok["icann"]))
        assert answer.status_code == 404, url
        assert error(answer)["code"] == "not_found"
    answer = client.post(
        f"{UPLOADS}/{upload['id']}/tlds/beta/cancel", json={}, headers=bearer(tok["icann"])
    )
    assert error(answer)["message"] == "No such bulk change in .beta."


# --------------------------------------------------------------------------- visibility


def test_each_organisation_sees_what_is_its_own(client, tok):
    upload = submitted(client, tok)
    uid = upload["id"]

    def listed(who: str, query: str = "") -> list[dict[str, Any]]:
        answer = client.get(UPLOADS + query, headers=bearer(tok[who]))
        assert answer.status_code == 200
        return answer.get_json()["uploads"]

    assert [u["id"] for u in listed("rsp")] == [uid]
    assert [u["id"] for u in listed("icann")] == [uid]
    assert listed("op_b") == [] and listed("other_rsp") == []
    [seen_by_a] = listed("op_a")
    assert seen_by_a["counts"]["pending"] == 2  # alpha and gamma, not delta
    assert seen_by_a["rsp"] == "RSP One" and seen_by_a["submitted_at"]
    for hidden in ("uploaded_by", "filename", "format", "size", "sha256", "attestation"):
        assert seen_by_a[hidden] is None, hidden
    assert listed("rsp", "?status=submitted") and not listed("rsp", "?status=ready")

    doc = client.get(f"{UPLOADS}/{uid}", headers=bearer(tok["op_c"])).get_json()
    assert [t["tld"] for t in doc["tlds"]] == ["delta"] and doc["counts"]["pending"] == 1
    assert doc["findings"] == [] and doc["preview"] is None and doc["attestation"] is None
    whole = client.get(f"{UPLOADS}/{uid}", headers=bearer(tok["icann"])).get_json()
    assert [t["tld"] for t in whole["tlds"]] == ["alpha", "delta", "gamma"]
    assert whole["attestation"]["name"] == "Rita Sample" and whole["preview"]["totals"]
    for who in ("op_b", "other_rsp"):
        assert client.get(f"{UPLOADS}/{uid}", headers=bearer(tok[who])).status_code == 404
    answer = client.get(f"{UPLOADS}/{uid}/file", headers=bearer(tok["op_a"]))
    assert answer.status_code == 403 and "RSP and ICANN staff" in error(answer)["message"]
    # ?status= narrows the TLD changes; the counts stay whole.
    act(client, tok["op_a"], uid, "alpha", "object", {"note": "Not now."})
    doc = client.get(f"{UPLOADS}/{uid}?status=pending", headers=bearer(tok["rsp"])).get_json()
    assert [t["tld"] for t in doc["tlds"]] == ["delta", "gamma"]
    assert doc["counts"]["objected"] == 1 and doc["counts"]["pending"] == 2
    answer = client.get(f"{UPLOADS}/{uid}?status=done", headers=bearer(tok["rsp"]))
    assert answer.status_code == 400 and error(answer)["code"] == "invalid_query"
    answer = client.get(f"{UPLOADS}?status=done", headers=bearer(tok["rsp"]))
    assert answer.status_code == 400 and error(answer)["code"] == "invalid_query"


# --------------------------------------------------------------------------- portal session


def test_a_signed_in_page_posts_with_the_csrf_token(app, client, tok, login):
    token = login(WHO["rsp"])
    form = {"file": (io.BytesIO(CSV), "rsp.csv"), **ATTESTATION}
    answer = client.post(UPLOADS, data=dict(form), content_type="multipart/form-data")
    assert answer.status_code == 400 and error(answer)["code"] == "csrf_failed"
    assert count(app, BulkUpload) == 0
    form = {"file": (io.BytesIO(CSV), "rsp.csv"), **ATTESTATION}
    answer = client.post(
        UPLOADS, data=form, content_type="multipart/form-data", headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 201, answer.get_json()
    uid = answer.get_json()["id"]
    # The form's own csrf_token field does as well, for a file over the app's request limit.
    big = padded_json(app.config["MAX_CONTENT_LENGTH"] + 1024)
    answer = client.post(
        UPLOADS,
        data={"file": (io.BytesIO(big), "big.json"), "dry_run": "on", "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422, answer.get_json()  # checked: alpha's change is open
    # An operator's page answers a change the same way.
    operator = app.test_client()
    op_token = login(WHO["op_a"], client=operator)
    url = f"{UPLOADS}/{uid}/tlds/alpha/object"
    answer = operator.post(url, json={"note": "No."})
    assert answer.status_code == 400 and error(answer)["code"] == "csrf_failed"
    answer = operator.post(url, json={"note": "No."}, headers={"X-CSRFToken": op_token})
    assert answer.status_code == 200 and answer.get_json()["status"] == "objected"
    # Reading needs no token.
    assert operator.get(f"{UPLOADS}/{uid}").status_code == 200


def test_with_smtp_set_the_staged_and_answered_changes_are_emailed(app, client, tok):
    """Submitting tells each registry operator by email, objecting tells the RSP, as soon as
    SMTP is configured (a real SMTP server on loopback)."""
    with SmtpServer() as server:
        app.config.update(SMTP_HOST=server.host, SMTP_PORT=server.port, SMTP_SECURITY="none")
        upload = submitted(client, tok)
        # One email per registry operator user: A (alpha and gamma) and C (delta).
        staged = list(server.wait_for(2))
        assert all("submitted TLS client authentication data" in m["Subject"] for m in staged)
        assert sorted(m["To"] for m in staged) == sorted([WHO["op_a"], WHO["op_c"]])
        answer = act(client, tok["op_c"], upload["id"], "delta", "object", {"note": "No"})
        assert answer.status_code == 200, answer.get_json()
        objection = [m for m in server.wait_for(3) if m["To"] == WHO["rsp"]]
        assert objection and "Objection" in objection[0]["Subject"]
