"""The few calls a test run makes to the portal's API with the harness's staff token: seed,
reset, sign a CSR with the harness CA, publish a certificate's TLSA record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from .harness import Harness

TIMEOUT = 60.0  # seeding hundreds of TLDs takes seconds, not minutes
YAML_SUFFIXES = (".yaml", ".yml")


class HarnessApiError(AssertionError):
    """The harness refused a call; the message has its status, message and every detail."""

    def __init__(self, what: str, response: requests.Response) -> None:
        self.status = response.status_code
        self.body = _json(response)
        error = self.body.get("error", {}) if isinstance(self.body, dict) else {}
        lines = [f"{what} was refused ({self.status}): {error.get('message') or response.text}"]
        lines += [f"  {d.get('field')}: {d.get('message')}" for d in error.get("details", [])]
        super().__init__("\n".join(lines))


class SeedRefused(HarnessApiError):
    """The seed document has errors, each named by its path in the document."""


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def seed_body(document: Mapping[str, Any] | str | Path) -> tuple[bytes, str]:
    """The request body and media type for a seed document: a mapping (sent as JSON) or the
    path of a YAML or JSON file (sent as it is)."""
    if isinstance(document, Mapping):
        return json.dumps(document).encode(), "application/json"
    path = Path(document)
    kind = "application/yaml" if path.suffix.lower() in YAML_SUFFIXES else "application/json"
    return path.read_bytes(), kind


class HarnessApi:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {harness.token}"

    def _url(self, path: str) -> str:
        return f"{self.harness.portal_url}/api/v1{path}"

    def _post(self, what: str, path: str, error: type[HarnessApiError], **kwargs: Any) -> Any:
        response = self.http.post(self._url(path), timeout=TIMEOUT, **kwargs)
        if not response.ok:
            raise error(what, response)
        return _json(response)

    def seed(self, document: Mapping[str, Any] | str | Path) -> dict[str, Any]:
        """Apply a seed document; its report (generated passwords included, once)."""
        body, media = seed_body(document)
        name = "The seed document" if isinstance(document, Mapping) else f"The seed {document}"
        return self._post(
            name, "/harness/seed", SeedRefused, data=body, headers={"Content-Type": media}
        )

    def reset(self) -> dict[str, Any]:
        """Remove everything the harness holds but its CA (and the caller's access)."""
        return self._post("Resetting the harness", "/harness/reset", HarnessApiError)

    def sign_csr(self, csr_pem: str, days: int) -> tuple[str, str]:
        """The certificate the harness CA issues for the CSR, and the CA certificate (PEM)."""
        signed = self._post(
            "Signing the CSR with the harness CA",
            "/certificates/sign-csr",
            HarnessApiError,
            json={"csr": csr_pem, "days": days},
        )
        return signed["certificate"], signed["chain"]

    def publish(self, certificate_pem: str, name: str) -> list[dict[str, Any]]:
        """Publish the certificate's 3 1 1 record at `name` in the harness zone."""
        published = self._post(
            f"Publishing the TLSA record at {name}",
            "/tlsa-records",
            HarnessApiError,
            json={"certificate": certificate_pem, "name": name, "records": ["3 1 1"]},
        )
        return list(published["records"])
