"""The OpenAPI 3.1 document of /api/v1. A test checks it against the registered routes."""

from __future__ import annotations

from typing import Any

from ..core.roles import ROLE_IDS

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Invalid input; details name each field",
        401: "Missing or invalid bearer token",
        404: "No such TLD, or not one you may manage",
        412: "If-Match is stale; the body carries the current document",
        428: "If-Match missing",
    }
    return {str(c): _json(ERROR, text[c]) for c in codes}


TLD_PARAM = {
    "name": "tld",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The TLD as an A-label (a U-label is converted).",
}


LIMIT_PARAM = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _mock_paths() -> dict[str, Any]:
    """Routes that serve the mock servers: harness zone, decision log, scenarios, reports."""
    return {
        "/tlsa-records": {
            "get": {
                "summary": "The harness zone's TLSA records (optionally at one name)",
                "parameters": [{"name": "name", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "records": {"type": "array", "items": _ref("TlsaRecord")}
                            },
                        },
                        "Records",
                    ),
                    **_errors(400, 401),
                },
            },
            "post": {
                "summary": "Publish a TLSA record in the harness zone",
                "description": "Any user may publish at a free name; the name then belongs to "
                "the publisher's organisation (its users and ICANN staff may change it).",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    _ref("TlsaRecordInput"),
                                    {
                                        "type": "object",
                                        "required": ["certificate"],
                                        "description": "publish the records of a certificate",
                                        "properties": {
                                            "certificate": {"type": "string"},
                                            "name": {"type": "string"},
                                            "records": {
                                                "type": "array",
                                                "items": {"enum": ["3 1 1", "3 0 1", "2 0 1"]},
                                            },
                                        },
                                    },
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(_ref("TlsaRecord"), "Published"),
                    **_errors(400, 401),
                },
            },
        },
        "/tlsa-records/{record_id}": {
            "parameters": [
                {"name": "record_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "delete": {
                "summary": "Remove a TLSA record (publisher's organisation or ICANN staff)",
                "responses": {"204": {"description": "Removed"}, **_errors(401, 404)},
            },
        },
        "/tlds/{tld}/decisions": {
            "parameters": [TLD_PARAM],
            "get": {
                "summary": "The mocks' decision log for the TLD, newest first",
                "parameters": [
                    {
                        "name": "result",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["allowed", "denied"]},
                    },
                    LIMIT_PARAM,
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "tld": {"type": "string"},
                                "decisions": {"type": "array", "items": _ref("Decision")},
                            },
                        },
                        "Decisions",
                    ),
                    **_errors(400, 401, 404),
                },
            },
        },
        "/tlds/{tld}/scenario": {
            "parameters": [TLD_PARAM],
            "get": {
                "summary": "The TLD's MoSAPI scenario (overrides of the generated data)",
                "responses": {
                    "200": _json(_ref("ScenarioDocument"), "Scenario"),
                    **_errors(401, 404),
                },
            },
            "put": {
                "summary": "Set the TLD's MoSAPI scenario; the next MoSAPI call reflects it",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "200": _json(_ref("ScenarioDocument"), "Saved"),
                    **_errors(400, 401, 404),
                },
            },
        },
        "/tlds/{tld}/submissions": {
            "parameters": [TLD_PARAM],
            "get": {
                "summary": "Reports the RRI mock accepted for the TLD, newest first",
                "parameters": [LIMIT_PARAM],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "tld": {"type": "string"},
                                "submissions": {"type": "array", "items": _ref("Submission")},
                            },
                        },
                        "Submissions",
                    ),
                    **_errors(400, 401, 404),
                },
            },
        },
        "/tlds/{tld}/submissions/{submission_id}": {
            "parameters": [
                TLD_PARAM,
                {
                    "name": "submission_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                },
            ],
            "get": {
                "summary": "One accepted report body, byte for byte, with its content type",
                "responses": {"200": {"description": "The body as received"}, **_errors(401, 404)},
            },
        },
    }


def _workbench_paths() -> dict[str, Any]:
    def post(summary: str, body: str, answer: str, description: str = "") -> dict[str, Any]:
        return {
            "post": {
                "summary": summary,
                **({"description": description} if description else {}),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(body)}},
                },
                "responses": {"200": _json(_ref(answer), "Done"), **_errors(400, 401)},
            }
        }

    return {
        "/certificates": post(
            "Generate a key and a clientAuth certificate",
            "GenerateInput",
            "Issued",
            "The answer carries the private key once; the harness keeps no copy.",
        ),
        "/certificates/sign-csr": post(
            "Sign a CSR with the harness CA (the key stays with you)", "SignInput", "Issued"
        ),
        "/certificates/inspect": post(
            "Describe a certificate or chain and the TLSA records that bind it",
            "InspectInput",
            "Inspection",
        ),
        "/dns-check": post(
            "Ask the configured validating resolver for the TLSA records at a name",
            "DnsCheckInput",
            "DnsCheck",
        ),
    }


def _mock_schemas() -> dict[str, Any]:
    tlsa_list = {"type": "array", "items": {"type": "object"}}
    return {
        "GenerateInput": {
            "type": "object",
            "required": ["domain_name"],
            "properties": {
                "domain_name": {"type": "string"},
                "key_type": {
                    "type": "string",
                    "enum": ["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"],
                },
                "issuer": {"type": "string", "enum": ["self", "harness"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 3650},
                "not_before": {"type": "string", "format": "date-time"},
                "not_after": {"type": "string", "format": "date-time"},
                "validity_preset": {"type": "string", "enum": ["expired", "not-yet-valid"]},
                "extra_sans": {"type": "array", "items": {"type": "string"}},
                "key_passphrase": {"type": "string"},
                "pkcs12_password": {"type": "string"},
            },
        },
        "SignInput": {
            "type": "object",
            "required": ["csr"],
            "properties": {
                "csr": {"type": "string", "description": "PEM"},
                "days": {"type": "integer", "minimum": 1, "maximum": 3650},
            },
        },
        "InspectInput": {
            "type": "object",
            "required": ["certificate"],
            "properties": {"certificate": {"type": "string", "description": "PEM"}},
        },
        "Issued": {
            "type": "object",
            "required": ["certificate", "chain", "tlsa", "info"],
            "properties": {
                "certificate": {"type": "string"},
                "chain": {"type": "string"},
                "private_key": {"type": "string", "description": "generate only, shown once"},
                "pkcs12": {"type": "string", "description": "base64, when a password was given"},
                "tlsa": tlsa_list,
                "info": {"type": "object"},
                "snippets": {"type": "object"},
            },
        },
        "Inspection": {
            "type": "object",
            "required": ["certificates", "tlsa"],
            "properties": {
                "certificates": {"type": "array", "items": {"type": "object"}},
                "tlsa": tlsa_list,
            },
        },
        "DnsCheckInput": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "certificate": {"type": "string"}},
        },
        "DnsCheck": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "validated": {"type": "boolean"},
                "problem": {"type": ["string", "null"]},
                "records": tlsa_list,
            },
        },
        "TlsaRecordInput": {
            "type": "object",
            "required": ["name", "usage", "selector", "matching_type", "data"],
            "properties": {
                "name": {"type": "string"},
                "usage": {"type": "integer", "enum": [0, 1, 2, 3]},
                "selector": {"type": "integer", "enum": [0, 1]},
                "matching_type": {"type": "integer", "enum": [0, 1, 2]},
                "data": {"type": "string", "description": "hexadecimal"},
                "ttl": {"type": "integer", "minimum": 60, "maximum": 86400},
            },
        },
        "TlsaRecord": {
            "type": "object",
            "required": [
                "id",
                "name",
                "usage",
                "selector",
                "matching_type",
                "data",
                "presentation",
            ],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "usage": {"type": "integer"},
                "selector": {"type": "integer"},
                "matching_type": {"type": "integer"},
                "data": {"type": "string"},
                "ttl": {"type": "integer"},
                "presentation": {"type": "string"},
                "created_by": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
            },
        },
        "Decision": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "at": {"type": "string", "format": "date-time"},
                "system": {"type": "string", "enum": ["mosapi", "rri"]},
                "endpoint": {"type": "string"},
                "method": {"type": "string"},
                "source_address": {"type": "string"},
                "cert_spki_sha256": {"type": ["string", "null"]},
                "cert_subject": {"type": ["string", "null"]},
                "auth_path": {"type": "string"},
                "result": {"type": "string", "enum": ["allowed", "denied"]},
                "status_code": {"type": "integer"},
                "reasons": {"type": "array", "items": {"type": "string"}},
                "warnings": {"type": "array", "items": {"type": "string"}},
                "matched_entry": {"type": ["string", "null"]},
            },
        },
        "ScenarioDocument": {
            "type": "object",
            "required": ["tld", "scenario"],
            "properties": {"tld": {"type": "string"}, "scenario": {"type": "object"}},
        },
        "Submission": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string"},
                "key": {"type": "string"},
                "content_type": {"type": "string"},
                "size": {"type": "integer"},
                "sha256": {"type": "string"},
                "received_at": {"type": "string", "format": "date-time"},
                "decision_id": {"type": ["integer", "null"]},
            },
        },
    }


def build_spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "TLS Client Authentication harness API",
            "version": "1",
            "description": "Manage, per gTLD, the TLS client authentication data that the mock "
            "MoSAPI and RRI servers enforce.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI document"}},
                }
            },
            "/tlds": {
                "get": {
                    "summary": "TLDs you may manage",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Search in TLD and registry operator names",
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/TldList"}, "One page of TLDs"),
                        **_errors(400, 401),
                    },
                }
            },
            "/tlds/{tld}/tls-client-auth": {
                "parameters": [TLD_PARAM],
                "get": {
                    "summary": "The TLD's TLS client authentication data",
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/Document"},
                            "The document; ETag carries the version",
                        ),
                        **_errors(401, 404),
                    },
                },
                "put": {
                    "summary": "Replace the TLD's TLS client authentication data",
                    "parameters": [
                        {
                            "name": "If-Match",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "The version you read",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Document"}
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/Document"},
                            "Saved; the new version, with warnings",
                        ),
                        **_errors(400, 401, 404, 412, 428),
                    },
                },
            },
            "/tlds/{tld}/history": {
                "parameters": [TLD_PARAM],
                "get": {
                    "summary": "Audit events of the TLD, newest first",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                        }
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/History"}, "Events"),
                        **_errors(400, 401, 404),
                    },
                },
            },
            **_mock_paths(),
            **_workbench_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Entry": {
                    "type": "object",
                    "required": ["domain_name", "roles", "ip_acl"],
                    "properties": {
                        "domain_name": {"type": "string", "maxLength": 253},
                        "roles": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "enum": list(ROLE_IDS)},
                        },
                        "ip_acl": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "description": "IPv4 or IPv6 CIDR"},
                        },
                    },
                },
                "Document": {
                    "type": "object",
                    "required": ["entries"],
                    "properties": {
                        "tld": {"type": "string"},
                        "version": {"type": "integer", "readOnly": True},
                        "entries": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Entry"},
                        },
                        "warnings": {
                            "type": "array",
                            "readOnly": True,
                            "items": {"$ref": "#/components/schemas/Detail"},
                        },
                    },
                },
                "TldList": {
                    "type": "object",
                    "properties": {
                        "tlds": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "tld": {"type": "string"},
                                    "operator": {"type": "string"},
                                    "rsp": {"type": ["string", "null"]},
                                    "entry_count": {"type": "integer"},
                                    "roles": {"type": "array", "items": {"type": "string"}},
                                    "version": {"type": "integer"},
                                    "updated_at": {
                                        "type": ["string", "null"],
                                        "format": "date-time",
                                    },
                                },
                            },
                        },
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "total": {"type": "integer"},
                    },
                },
                "History": {
                    "type": "object",
                    "properties": {
                        "tld": {"type": "string"},
                        "events": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "at": {"type": "string", "format": "date-time"},
                                    "actor": {"type": "string"},
                                    "channel": {
                                        "type": "string",
                                        "enum": ["ui", "api", "cli", "bulk"],
                                    },
                                    "action": {"type": "string"},
                                    "version": {"type": "integer"},
                                    "changes": {"type": "array", "items": {"type": "string"}},
                                    "before": {"type": ["object", "null"]},
                                    "after": {"type": ["object", "null"]},
                                },
                            },
                        },
                    },
                },
                **_mock_schemas(),
                "Detail": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string"},
                        "message": {"type": "string"},
                        "severity": {"type": "string"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "details"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "details": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Detail"},
                                },
                            },
                        }
                    },
                },
            },
        },
    }
