"""From nothing to a working credential through the portal: generate, publish the TLSA record,
add the entry, call the MoSAPI mock over mTLS with the generated key."""

from __future__ import annotations

import html

from infra.database import db
from portal.models import Tld
from tests.helpers import HTMX, Credential


def _pre(page: str, element_id: str) -> str:
    return html.unescape(page.split(f'id="{element_id}">', 1)[1].split("</pre>", 1)[0])


def test_generate_publish_add_entry_and_call_mosapi(
    app, client, world, start_mock, certs_dir, tmp_path, login
):
    app.config["CERTS_DIR"] = str(certs_dir)
    mosapi = start_mock("mosapi")
    token = login(world.op_a)
    h = {**HTMX, "X-CSRFToken": token}
    page = client.post(
        "/workbench/generate",
        data={
            "domain_name": "flow.operator-a.example",
            "issuer": "self",
            "validity": "days",
            "days": "7",
        },
        headers=h,
    ).get_data(as_text=True)
    cert_pem, key_pem = _pre(page, "wb-cert-pem"), _pre(page, "wb-key-pem")
    published = client.post(
        "/workbench/publish",
        data={"certificate": cert_pem, "name": "flow.operator-a.example", "records": ["3 1 1"]},
        headers=h,
    )
    assert published.status_code == 200
    with app.app_context():
        version = db.session.query(Tld).filter_by(name="alpha").one().version
    added = client.post(
        "/tlds/alpha/entries",
        data={
            "domain_name": "flow.operator-a.example",
            "roles": ["mosapi-slam"],
            "ip_acl": "127.0.0.1/32",
            "version": str(version),
        },
        headers=h,
    )
    assert added.status_code == 200
    (tmp_path / "c.pem").write_text(cert_pem)
    (tmp_path / "c.key").write_text(key_pem)
    cred = Credential(None, None, tmp_path / "c.pem", tmp_path / "c.key")  # type: ignore[arg-type]
    answer = mosapi.request("GET", "/ry/alpha/v2/monitoring/state", cred=cred)
    assert answer.status == 200, answer.text
    assert answer.decision.endswith("allowed tls-client-auth via flow.operator-a.example")
