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
