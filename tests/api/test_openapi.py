"""The OpenAPI document (generated from the routes and their pydantic models) describes exactly
the routes under /api/v1, and every response code it documents can be produced, with a body
that the document's schema accepts (checked with jsonschema)."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from sqlalchemy import select

from portal.core import pki
from portal.core.certificates import ISSUERS, KEY_TYPES, PRESETS
from portal.core.decision import RESULTS
from portal.core.roles import ROLE_IDS
from portal.services.workbench import RECORD_KINDS
from tests.conftest import World
from tests.helpers import api_token

API = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def _to_openapi(rule: str) -> str:
    return _CONVERTER.sub(lambda match: "{" + match.group(1) + "}", rule.removeprefix(API))


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule == API or rule.rule.startswith(API + "/"):
            for method in rule.methods - IGNORED_METHODS:
                found.add((_to_openapi(rule.rule), method.lower()))
    return found


def _documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def _operations(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, item, op


def test_document_header(spec):
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["servers"] == [{"url": API}]
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_every_route_is_documented(app, spec):
    routes = _routes(app)
    assert routes, "no routes under /api/v1?"
    missing = routes - _documented(spec)
    assert not missing, f"routes missing from openapi.json: {sorted(missing)}"


def test_every_documented_operation_exists(app, spec):
    extra = _documented(spec) - _routes(app)
    assert not extra, f"openapi.json documents operations with no route: {sorted(extra)}"


def test_path_parameters_are_declared(spec):
    for path, method, item, op in _operations(spec):
        params = {
            p["name"]: p
            for p in [*item.get("parameters", []), *op.get("parameters", [])]
            if p["in"] == "path"
        }
        in_template = set(re.findall(r"{([^}]+)}", path))
        assert set(params) == in_template, (path, method)
        for p in params.values():
            assert p["required"] is True, (path, p["name"])


def test_every_ref_resolves_and_enums_come_from_the_code(spec):
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert refs
    for ref in refs:
        _resolve(spec, ref)
    schemas = spec["components"]["schemas"]
    for model in ("Entry", "EntryInput", "TldSummary"):
        assert schemas[model]["properties"]["roles"]["items"]["enum"] == list(ROLE_IDS), model
    generate = schemas["GenerateInput"]["properties"]
    assert _choices(generate["key_type"]) == list(KEY_TYPES)
    assert _choices(generate["issuer"]) == list(ISSUERS)
    assert _choices(generate["validity_preset"]) == list(PRESETS)
    records = schemas["CertificatePublishInput"]["properties"]["records"]
    assert records["items"]["enum"] == list(RECORD_KINDS)
    assert _choices(schemas["Decision"]["properties"]["result"]) == list(RESULTS)
    decisions = spec["paths"]["/tlds/{tld}/decisions"]["get"]["parameters"]
    assert _choices(next(p for p in decisions if p["name"] == "result")["schema"]) == list(RESULTS)


def test_bulk_upload_takes_a_form_or_json_and_its_file_answer_is_binary(spec):
    body = spec["paths"]["/bulk-uploads"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    form = _resolve(spec, body["multipart/form-data"]["schema"]["$ref"])
    assert form["properties"]["file"]["format"] == "binary"
    assert form["required"] == ["file"]
    entries = _resolve(spec, body["application/json"]["schema"]["$ref"])["properties"]["entries"]
    assert entries["items"]["properties"]["roles"]["items"]["enum"] == list(ROLE_IDS)
    answers = spec["paths"]["/bulk-uploads"]["post"]["responses"]
    assert {"200", "201"} <= set(answers)
    file = spec["paths"]["/bulk-uploads/{upload_id}/file"]["get"]["responses"]["200"]
    assert file["content"] == {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }


def _choices(schema: dict[str, Any]) -> list[Any]:
    """The enum of a schema, of its non-null alternative when it is optional."""
    if "enum" in schema:
        return schema["enum"]
    [choice] = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return choice["enum"]


def test_authenticated_operations_document_401_and_tld_operations_404(spec):
    for path, method, _item, op in _operations(spec):
        codes = set(op["responses"])
        assert any(c.startswith("2") for c in codes), (path, method)
        secured = op.get("security", spec["security"]) != []
        assert ("401" in codes) == secured, (path, method)
        if "{tld}" in path:
            assert "404" in codes, (path, method)


# --------------------------------------------------------------------------- schema checking


def _resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for part in ref[2:].split("/"):
        assert part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def _check(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    """Validate `value` against a schema of the document (OpenAPI 3.1 schemas are JSON Schema
    2020-12); its $refs resolve within the document."""
    jsonschema.Draft202012Validator(
        {**spec, **schema}, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(value)


def _entry(**changes: Any) -> dict[str, Any]:
    return {"domain_name": "x.example", "roles": ["mosapi-slam"], "ip_acl": ["::1/128"], **changes}


def test_schema_checker_catches_mismatches(spec):
    """The validator really rejects a wrong body (so passing means something)."""
    doc = {"$ref": "#/components/schemas/Document"}
    _check(spec, doc, {"tld": "a", "version": 1, "entries": [_entry()]})
    bad_bodies = [
        {"tld": "a", "version": 1},
        {"tld": "a", "version": 1, "entries": [_entry(roles=["nope"])]},
        {"tld": "a", "version": 1, "entries": [_entry(roles=[])]},
        {"tld": "a", "version": "1", "entries": []},
        {"tld": "a", "version": 1, "entries": [{"roles": ["mosapi-slam"], "ip_acl": ["::1/128"]}]},
    ]
    for bad in bad_bodies:
        with pytest.raises(jsonschema.ValidationError):
            _check(spec, doc, bad)
    error = {"$ref": "#/components/schemas/ErrorBody"}
    _check(spec, error, {"error": {"code": "x", "message": "y", "details": []}})
    with pytest.raises(jsonschema.ValidationError):
        _check(spec, error, {"error": {"code": "x", "message": "y", "details": [{"field": 1}]}})


# --------------------------------------------------------------------------- every code, for real

ENTRY = {"domain_name": "client.example", "roles": ["mosapi-slam"], "ip_acl": ["192.0.2.0/24"]}
MISSING_ID = "987654"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _url(path: str, tld: str, other: str = MISSING_ID) -> str:
    """The documented path with {tld} = `tld` and any other parameter = `other`."""
    return API + re.sub(r"{([^}]+)}", lambda m: tld if m.group(1) == "tld" else other, path)


def _check_response(spec, op, code: str, response, label: str) -> None:
    assert str(response.status_code) == code, (label, response.get_data(as_text=True))
    assert code in op["responses"], f"{label}: the server answers {code}, the spec omits it"
    content = op["responses"][code].get("content")
    if content and "application/json" in content:
        assert response.is_json, label
        try:
            _check(spec, content["application/json"]["schema"], response.get_json())
        except jsonschema.ValidationError as exc:
            raise AssertionError(f"{label}: {exc.message} at {list(exc.absolute_path)}") from exc
    if code == "401":
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), label


def _secured(spec, op) -> bool:
    return op.get("security", spec["security"]) != []


def _success(op) -> str:
    return min(code for code in op["responses"] if code.startswith("2"))


def _only_tld_params(path: str) -> bool:
    return set(re.findall(r"{([^}]+)}", path)) <= {"tld"}


@pytest.fixture
def staff_token(app, world) -> str:
    """ICANN staff may manage every TLD, so only non-existence yields a 404."""
    return api_token(app, world.icann)


def test_every_secured_operation_answers_401_without_a_token(client, world, spec):
    for path, method, _item, op in _operations(spec):
        if not _secured(spec, op):
            continue
        for headers in ({}, {"Authorization": "Bearer tla_wrong"}):
            response = client.open(
                _url(path, "alpha", "1"), method=method.upper(), headers=headers, json={}
            )
            _check_response(spec, op, "401", response, f"{method.upper()} {path} → 401")


def test_public_operations_need_no_token(client, spec):
    public = [(p, m, op) for p, m, _i, op in _operations(spec) if not _secured(spec, op)]
    assert [(p, m) for p, m, _ in public] == [("/openapi.json", "get")]
    for path, method, op in public:
        response = client.open(_url(path, "alpha"), method=method.upper())
        _check_response(spec, op, _success(op), response, f"{method.upper()} {path}")


def test_every_operation_with_path_parameters_answers_404_when_missing(client, spec, staff_token):
    for path, method, _item, op in _operations(spec):
        if "{" not in path:
            continue
        label = f"{method.upper()} {path} → 404"
        assert "404" in op["responses"], f"{label} is not documented"
        headers = _bearer(staff_token) | {"If-Match": "1"}
        response = client.open(
            _url(path, "nosuchtld"), method=method.upper(), headers=headers, json={}
        )
        _check_response(spec, op, "404", response, label)


def test_every_get_answers_its_success_code(client, spec, staff_token):
    # Give alpha some history so the bodies have items for the schema check.
    response = client.put(
        _url("/tlds/{tld}/tls-client-auth", "alpha"),
        json={"entries": [ENTRY]},
        headers=_bearer(staff_token) | {"If-Match": "1"},
    )
    assert response.status_code == 200
    for path, method, _item, op in _operations(spec):
        if method != "get" or not _only_tld_params(path):
            continue  # the others are in SCENARIOS
        response = client.get(_url(path, "alpha"), headers=_bearer(staff_token))
        _check_response(spec, op, _success(op), response, f"GET {path}")


TLSA = {"name": "client.example", "usage": 3, "selector": 1, "matching_type": 1, "data": "ab" * 32}


@dataclass
class Call:
    """How to produce one documented code. Headers "TOKEN" → the bearer token of `who` (a
    World attribute; ICANN staff by default), "VERSION" → alpha's current version; `prepare`
    creates what the call needs and returns the other path parameters. The body is JSON
    (`body`, or `make_body()`, or `body_of(app)`), else a multipart `form` (bytes are a file),
    else raw bytes `data(app)` of `content_type`."""

    tld: str = "alpha"
    query: str = ""
    headers: dict[str, str] = field(default_factory=lambda: {"Authorization": "TOKEN"})
    body: Any = None
    prepare: Callable[[Any, Any, str], dict[str, str]] | None = None
    make_body: Callable[[], Any] | None = None
    who: str = "icann"
    body_of: Callable[[Any], Any] | None = None
    form: dict[str, Any] | None = None
    data: Callable[[Any], bytes] | None = None
    content_type: str = "application/json"


def _publish_record(app, client, token: str) -> dict[str, str]:
    record = {**TLSA, "name": "to-remove.example", "data": "cd" * 32}
    response = client.post(f"{API}/tlsa-records", json=record, headers=_bearer(token))
    assert response.status_code == 201, response.get_json()
    return {"record_id": str(response.get_json()["id"])}


def _store_submission(app, client, token: str) -> dict[str, str]:
    from infra.database import db
    from portal.models import Submission

    body = b"operational-registrars\r\n1\r\n"
    with app.app_context():
        row = Submission(
            tld="alpha",
            kind="registry-functions-activity",
            report_key="2026-01",
            content_type="text/csv",
            body=body,
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
        )
        db.session.add(row)
        db.session.commit()
        return {"submission_id": str(row.id)}


def _store_decision(app, client, token: str) -> dict[str, str]:
    from tests.decision_rows import add_decision

    return {
        "decision_id": str(
            add_decision(
                app,
                checks=[
                    {"domain_name": "c.example", "matched": False, "reasons": ["no-tlsa-at-name"]}
                ],
            )
        )
    }


def _key_and_name():
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    return ec.generate_private_key(ec.SECP256R1()), x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "client.example")]
    )


def _self_signed_pem() -> str:
    return pki.self_signed("client.example", validity=pki.Validity.days(30)).cert_pem.text()


def _csr_pem() -> str:
    from cryptography.hazmat.primitives import hashes, serialization

    key, name = _key_and_name()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("client.example")]), False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


# --------------------------------------------------------------------------- bulk uploads

BULK_CSV = b"tld,domain_name,roles,ip_acl\nalpha,bulk.rsp.example,mosapi-slam,192.0.2.0/24\n"
BULK_ENTRY = {
    "tld": "alpha",
    "domain_name": "bulk.rsp.example",
    "roles": ["mosapi-slam"],
    "ip_acl": ["192.0.2.0/24"],
}
ATTESTED = {"attest": True, "attest_name": "Rita Sample", "attest_title": "Head of Ops"}


def _bulk_users():
    from infra.database import db
    from portal.services import directory

    def user(email: str):
        return directory.get_user(db.session, email)

    return db.session, user("rsp@rsp.example"), user("staff@icann.example")


def _clear_bulk(app, client=None, token: str = "", *, allow: bool = True) -> dict[str, str]:
    """No bulk change left open (ICANN staff cancel them) and, with `allow`, one more bulk
    upload allowed to RSP One."""
    from portal.models import OPEN_CHANGES, BulkTldChange
    from portal.services import bulk_changes, bulk_uploads

    with app.app_context():
        session, rsp, staff = _bulk_users()
        for change in session.scalars(
            select(BulkTldChange).where(BulkTldChange.status.in_(OPEN_CHANGES))
        ).all():
            bulk_changes.cancel(session, staff, change, note="", channel="api")
        if allow:
            bulk_uploads.allow_another(session, rsp.organisation, staff)
    return {}


def _bulk_upload(app, *, submit: bool, allow: bool = True, cancel: bool = False) -> dict[str, str]:
    """RSP One's upload of BULK_CSV: checked and ready, or submitted (with alpha's change
    cancelled when `cancel`)."""
    from portal.core.validation import Limits
    from portal.services import bulk_uploads

    _clear_bulk(app, allow=allow)
    with app.app_context():
        session, rsp, _staff = _bulk_users()
        upload = bulk_uploads.create_upload(
            session, rsp, BULK_CSV, filename="rsp.csv", channel="api", max_bytes=1 << 20
        )
        bulk_uploads.check_upload(session, upload, Limits())
        if submit:
            bulk_uploads.submit(
                session, upload, rsp, attest=True, name="R", title="T", notice_days=7
            )
        upload_id = str(upload.id)
    if cancel:
        _clear_bulk(app, allow=False)
    return {"upload_id": upload_id}


def _ready(app, client, token: str) -> dict[str, str]:
    return _bulk_upload(app, submit=False)


def _ready_past_the_one_time_rule(app, client, token: str) -> dict[str, str]:
    """A ready upload of an RSP that has submitted every upload it was allowed."""
    from portal.services.bulk_uploads import allowance

    with app.app_context():
        session, rsp, _staff = _bulk_users()
        rule = allowance(session, rsp.organisation_id)
    for _ in range(rule.allowed - rule.used):
        _bulk_upload(app, submit=True, allow=False, cancel=True)
    return _bulk_upload(app, submit=False, allow=False)


def _submitted(app, client, token: str) -> dict[str, str]:
    return _bulk_upload(app, submit=True)


def _answered(app, client, token: str) -> dict[str, str]:
    return _bulk_upload(app, submit=True, cancel=True)


def _alpha_version(app) -> dict[str, int]:
    from infra.database import db
    from portal.models import Tld

    with app.app_context():
        return {"version": db.session.scalar(select(Tld.version).where(Tld.name == "alpha"))}


def _too_large(app) -> bytes:
    from portal.api.bulk import ENVELOPE

    return b" " * (app.config["BULK_MAX_BYTES"] + ENVELOPE + 1)


BULK_SCENARIOS: dict[tuple[str, str, str], Call] = {
    ("/bulk-uploads", "post", "200"): Call(
        tld="", who="rsp", prepare=_clear_bulk, body={"entries": [BULK_ENTRY], "dry_run": True}
    ),
    ("/bulk-uploads", "post", "201"): Call(
        tld="",
        who="rsp",
        prepare=_clear_bulk,
        form={"file": BULK_CSV, "attest": "yes", "attest_name": "R", "attest_title": "T"},
    ),
    ("/bulk-uploads", "post", "400"): Call(
        tld="", who="rsp", body={"entries": [BULK_ENTRY], "dry_run": "yes"}
    ),
    ("/bulk-uploads", "post", "403"): Call(tld="", body={"entries": [BULK_ENTRY], **ATTESTED}),
    ("/bulk-uploads", "post", "413"): Call(tld="", who="rsp", data=_too_large),
    ("/bulk-uploads", "post", "415"): Call(
        tld="", who="rsp", data=lambda app: BULK_CSV, content_type="text/csv"
    ),
    ("/bulk-uploads", "post", "422"): Call(
        tld="", who="rsp", body={"entries": [{**BULK_ENTRY, "tld": "beta"}], "dry_run": True}
    ),
    ("/bulk-uploads", "get", "400"): Call(tld="", query="?status=done"),
    ("/bulk-uploads/{upload_id}", "get", "200"): Call(tld="", prepare=_submitted),
    ("/bulk-uploads/{upload_id}", "get", "400"): Call(
        tld="", prepare=_submitted, query="?status=done"
    ),
    ("/bulk-uploads/{upload_id}/file", "get", "200"): Call(tld="", prepare=_submitted),
    ("/bulk-uploads/{upload_id}/file", "get", "403"): Call(tld="", who="op_a", prepare=_submitted),
    ("/bulk-uploads/{upload_id}/submit", "post", "200"): Call(
        tld="", who="rsp", prepare=_ready, body=ATTESTED
    ),
    ("/bulk-uploads/{upload_id}/submit", "post", "400"): Call(
        tld="", who="rsp", prepare=_ready, body={**ATTESTED, "attest": "yes"}
    ),
    ("/bulk-uploads/{upload_id}/submit", "post", "403"): Call(
        tld="", who="rsp", prepare=_ready_past_the_one_time_rule, body=ATTESTED
    ),
    ("/bulk-uploads/{upload_id}/submit", "post", "422"): Call(
        tld="", who="rsp", prepare=_ready, body={"attest": True}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/accept", "post", "200"): Call(
        who="op_a", prepare=_submitted, body_of=_alpha_version
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/accept", "post", "400"): Call(
        who="op_a", prepare=_submitted, body={"version": "1"}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/accept", "post", "403"): Call(
        who="rsp", prepare=_submitted, body_of=_alpha_version
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/accept", "post", "409"): Call(
        who="op_a", prepare=_submitted, body={"version": 0}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/accept", "post", "422"): Call(
        who="op_a", prepare=_answered, body_of=_alpha_version
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/object", "post", "200"): Call(
        who="op_a", prepare=_submitted, body={"note": "Not authorized."}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/object", "post", "400"): Call(
        who="op_a", prepare=_submitted, body={"note": 5}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/object", "post", "403"): Call(
        who="rsp", prepare=_submitted, body={}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/object", "post", "422"): Call(
        who="op_a", prepare=_answered, body={}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/load", "post", "200"): Call(prepare=_submitted),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/load", "post", "403"): Call(
        who="op_a", prepare=_submitted
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/load", "post", "422"): Call(prepare=_answered),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/cancel", "post", "200"): Call(
        prepare=_submitted, body={"note": "By phone."}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/cancel", "post", "400"): Call(
        prepare=_submitted, body={"note": 5}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/cancel", "post", "403"): Call(
        who="op_a", prepare=_submitted, body={}
    ),
    ("/bulk-uploads/{upload_id}/tlds/{tld}/cancel", "post", "422"): Call(
        prepare=_answered, body={}
    ),
}


def _test_mode(app, client=None, token: str = "") -> dict[str, str]:
    app.config["TEST_MODE"] = True
    return {}


SEED_DOCUMENT = {"version": 1, "organisations": [{"name": "Seeded RSP", "kind": "rsp"}]}
# Last: the reset empties the harness but for the staff member who asks.
HARNESS_SCENARIOS: dict[tuple[str, str, str], Call] = {
    ("/harness/seed", "post", "200"): Call(
        tld="",
        prepare=_test_mode,
        data=lambda app: b"version: 1\norganisations: [{name: Seeded RSP, kind: rsp}]\n",
        content_type="application/yaml",
    ),
    ("/harness/seed", "post", "400"): Call(
        tld="", prepare=_test_mode, data=lambda app: b"{", content_type="application/json"
    ),
    ("/harness/seed", "post", "403"): Call(tld="", who="rsp", body=SEED_DOCUMENT),
    ("/harness/seed", "post", "415"): Call(
        tld="", prepare=_test_mode, data=lambda app: b"version: 1", content_type="text/plain"
    ),
    ("/harness/seed", "post", "422"): Call(tld="", prepare=_test_mode, body={"version": 2}),
    ("/harness/reset", "post", "403"): Call(tld="", who="op_a"),
    ("/harness/reset", "post", "200"): Call(tld="", prepare=_test_mode),
}

WITH_VERSION = {"Authorization": "TOKEN", "If-Match": "VERSION"}
SIMULATE = {
    "tld": "alpha",
    "path": "/ry/alpha/v2/monitoring/state",
    "source_address": "127.0.0.1",
    "spki_sha256": "ab" * 32,
}

# Together with the generic tests above, every operation's success, 401 and 404 are produced
# for real; the other documented codes wherever a scenario is listed here.
SCENARIOS: dict[tuple[str, str, str], Call] = {
    ("/tlds", "get", "400"): Call(tld="", query="?page=first"),
    ("/tlds/{tld}/tls-client-auth", "put", "200"): Call(
        headers=WITH_VERSION,
        body={"tld": "alpha", "entries": [{**ENTRY, "ip_acl": ["10.0.0.0/8"]}]},
    ),
    ("/tlds/{tld}/tls-client-auth", "put", "400"): Call(
        headers=WITH_VERSION, body={"entries": [{**ENTRY, "ip_acl": ["192.0.2.1/24"]}]}
    ),
    ("/tlds/{tld}/tls-client-auth", "put", "412"): Call(
        headers={"Authorization": "TOKEN", "If-Match": "999"}, body={"entries": [ENTRY]}
    ),
    ("/tlds/{tld}/tls-client-auth", "put", "428"): Call(body={"entries": [ENTRY]}),
    ("/tlds/{tld}/history", "get", "400"): Call(query="?limit=all"),
    ("/tlds/{tld}/decisions", "get", "400"): Call(query="?result=perhaps"),
    ("/tlds/{tld}/submissions", "get", "400"): Call(query="?limit=all"),
    ("/tlds/{tld}/submissions/{submission_id}", "get", "200"): Call(prepare=_store_submission),
    ("/tlds/{tld}/decisions/{decision_id}", "get", "200"): Call(prepare=_store_decision),
    ("/tlds/{tld}/scenario", "put", "200"): Call(body={"scenario": {}}),
    ("/tlds/{tld}/scenario", "put", "400"): Call(body={"scenario": {"services": "all down"}}),
    ("/tlsa-records", "get", "400"): Call(tld="", query="?name=not_valid!"),
    ("/tlsa-records", "post", "201"): Call(tld="", body=TLSA),
    ("/tlsa-records", "post", "400"): Call(tld="", body={**TLSA, "usage": 9}),
    ("/tlsa-records/{record_id}", "delete", "204"): Call(tld="", prepare=_publish_record),
    ("/certificates", "post", "200"): Call(tld="", body={"domain_name": "client.example"}),
    ("/certificates", "post", "400"): Call(tld="", body={"domain_name": "bad_name!.example"}),
    ("/certificates/sign-csr", "post", "200"): Call(tld="", make_body=lambda: {"csr": _csr_pem()}),
    ("/certificates/sign-csr", "post", "400"): Call(tld="", body={"csr": "not a CSR"}),
    ("/certificates/inspect", "post", "200"): Call(
        tld="", make_body=lambda: {"certificate": _self_signed_pem()}
    ),
    ("/certificates/inspect", "post", "400"): Call(tld="", body={"certificate": "junk"}),
    # The resolver is a loopback responder (see the scenario test) holding this record.
    ("/dns-check", "post", "200"): Call(tld="", body={"name": "client.example"}),
    ("/dns-check", "post", "400"): Call(tld="", body={"name": "no spaces allowed.example"}),
    ("/simulate", "post", "200"): Call(tld="", body={**SIMULATE, "tld": "alpha"}),
    ("/simulate", "post", "400"): Call(tld="", body={**SIMULATE, "path": "/ry/alpha/v2/nothing"}),
    ("/simulate", "post", "404"): Call(tld="", body={**SIMULATE, "tld": "nosuchtld"}),
    **BULK_SCENARIOS,
    **HARNESS_SCENARIOS,
}


def _generic(spec, path: str, method: str, op, code: str) -> bool:
    """Whether one of the generic tests above produces this code."""
    return (
        (code == "401" and _secured(spec, op))
        or (code == "404" and "{" in path)
        or (code == _success(op) and method == "get" and _only_tld_params(path))
        or (code == _success(op) and not _secured(spec, op))
    )


def test_scenarios_match_the_document(spec):
    documented = {
        (path, method, code): op
        for path, method, _item, op in _operations(spec)
        for code in op["responses"]
    }
    stale = set(SCENARIOS) - set(documented)
    assert not stale, f"scenarios for codes the spec does not document: {sorted(stale)}"
    # Every operation's success code, 401 and 404 are produced somewhere.
    uncovered = [
        key
        for key, op in documented.items()
        if key[2] in {_success(op), "401", "404"}
        and key not in SCENARIOS
        and not _generic(spec, *key[:2], op, key[2])
    ]
    assert not uncovered, f"add a scenario producing: {uncovered}"
    # The API's own document and the bulk upload's are covered completely.
    core = {"/openapi.json", "/tlds", "/tlds/{tld}/tls-client-auth", "/tlds/{tld}/history"}
    core |= {path for path, *_ in BULK_SCENARIOS}
    missing = [
        key
        for key, op in documented.items()
        if key[0] in core and key not in SCENARIOS and not _generic(spec, *key[:2], op, key[2])
    ]
    assert not missing, f"add a scenario producing: {missing}"


def test_every_scenario_produces_its_documented_code(app, client, spec, staff_token, tmp_path):
    from tests.dns_responder import DnsResponder

    app.config["CERTS_DIR"] = str(tmp_path / "certs")  # the harness CA is made here
    with DnsResponder({"client.example": (["3 1 1 " + "ab" * 32], 300)}) as dns:
        app.config["DNS_RESOLVER"] = dns.setting
        _run_scenarios(app, client, spec, staff_token)
        assert dns.queries["client.example"] >= 1


def _run_scenarios(app, client, spec, staff_token: str) -> None:
    tokens = {"icann": staff_token}

    def token_of(who: str) -> str:
        if who not in tokens:
            tokens[who] = api_token(app, getattr(World(), who))
        return tokens[who]

    def fill(value: str, who: str) -> str:
        if value == "TOKEN":
            return f"Bearer {token_of(who)}"
        if value == "VERSION":
            response = client.get(
                _url("/tlds/{tld}/tls-client-auth", "alpha"), headers=_bearer(staff_token)
            )
            return str(response.get_json()["version"])
        return value

    for (path, method, code), call in SCENARIOS.items():
        op = spec["paths"][path][method]
        label = f"{method.upper()} {path} → {code}"
        params = {"tld": call.tld}
        if call.prepare:
            params |= call.prepare(app, client, staff_token)
        url = API + re.sub(r"{([^}]+)}", lambda m, p=params: p[m.group(1)], path) + call.query
        response = client.open(
            url,
            method=method.upper(),
            headers={k: fill(v, call.who) for k, v in call.headers.items()},
            **_body(app, call),
        )
        _check_response(spec, op, code, response, label)
        if path.endswith("/tls-client-auth") and code in {"200", "412"}:
            assert response.headers["ETag"], label
        if path.endswith("/tls-client-auth") and code == "200":
            assert response.get_json()["warnings"], "the private prefix should warn"
        if path == "/dns-check" and code == "200":
            assert response.get_json()["validated"] is True, response.get_json()
            assert len(response.get_json()["records"]) == 1


def _body(app, call: Call) -> dict[str, Any]:
    """The test client's arguments for the call's body."""
    if call.form is not None:
        form = {
            name: (io.BytesIO(value), "upload.csv") if isinstance(value, bytes) else value
            for name, value in call.form.items()
        }
        return {"data": form, "content_type": "multipart/form-data"}
    if call.data is not None:
        return {"data": call.data(app), "content_type": call.content_type}
    if call.body_of is not None:
        return {"json": call.body_of(app)}
    return {"json": call.make_body() if call.make_body else call.body}


def test_checker_helpers_see_a_missing_route(app, spec):
    """The route/spec comparison notices an undocumented route (so passing means something)."""
    from portal.app import create_app

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    before = _routes(fresh)
    assert before == _routes(app)
    fresh.add_url_rule("/api/v1/tlds/<tld>/extra/<int:item>", "extra", lambda **kw: "")
    added = _routes(fresh) - before
    assert added == {("/tlds/{tld}/extra/{item}", "get")}
    assert not added & _documented(spec)


def test_documented_request_bodies_are_the_ones_validated(app, client, spec, staff_token):
    """Each documented JSON body is the definition the server validates: a number where the
    document wants text is refused, naming that field; a body that is no object is refused."""
    _test_mode(app)  # the harness's seed reads its body only in test mode
    checked = 0
    for path, method, _item, op in _operations(spec):
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        schema = _resolve(spec, body["schema"]["$ref"])
        if "oneOf" in schema:
            schema = _resolve(spec, schema["oneOf"][0]["$ref"])
        text = [
            name
            for name in schema.get("required", [])
            if schema["properties"][name].get("type") == "string"
        ]
        headers = _bearer(staff_token) | {"If-Match": "1"}
        url = _url(path, "alpha")
        response = client.open(url, method=method.upper(), headers=headers, json=[])
        assert response.status_code == 400, (path, method)
        assert response.get_json()["error"]["code"] == "invalid_json", (path, method)
        if not text:
            continue
        wrong = {name: "x" for name in text} | {text[0]: 12345}
        response = client.open(url, method=method.upper(), headers=headers, json=wrong)
        assert response.status_code == 400, (path, method, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "validation_failed", (path, method, error)
        assert text[0] in [d["field"] for d in error["details"]], (path, method, error)
        checked += 1
    assert checked >= 5
