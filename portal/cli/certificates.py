"""`tlsauth cert new|sign-csr|inspect` and `tlsauth tlsa`: the certificate workbench on the
command line, through the same service module as the portal page and the API.

Private keys made here go to the user's output folder only (PKCS#8, mode 0600), never to the
database, the harness's certs folder or the terminal. The files are written all or none
(portal.cli.files). The harness CA issues only names the user named by `--as` may publish in
the harness zone, as on the portal and the API.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from ..api.schemas import Inspection
from ..core import certificates as cw
from ..core.tlsa import TlsaRecord
from ..core.validation import validate_domain_name
from ..services import directory, workbench, zone
from .files import PUBLIC_MODE, SECRET_MODE, refuse_existing, write_all
from .inputs import read_secret, read_upload

RECORD_KINDS = tuple(workbench.RECORD_KINDS)

days_option = click.option(
    "--days", type=int, default=None, help="Valid for N days from now (default 90)."
)
force_option = click.option("--force", is_flag=True, help="Overwrite existing files.")
as_option = click.option(
    "--as",
    "as_email",
    default=None,
    metavar="EMAIL",
    help="Who asks (needed for the harness CA: it issues only names this user may publish).",
)


def _publisher(as_email: str | None) -> zone.Publisher | None:
    if as_email is None:
        return None
    from infra.database import db

    return zone.Publisher(db.session, directory.get_user(db.session, as_email), "cli")


def _name(raw: str, field: str = "domain_name") -> str:
    """A domain name as stored (A-labels, lower case), or the reasons it is none."""
    checked = validate_domain_name(raw, field)
    if checked.value is None:
        raise click.ClickException("; ".join(f.message for f in checked.errors))
    return checked.value


def _echo_records(records: list[dict[str, Any]]) -> None:
    for r in records:
        click.echo(f"{r['presentation']}  ; {r['meaning']}")


def _validity_params(
    days: int | None, not_before: str | None, not_after: str | None, preset: str | None
) -> dict[str, Any]:
    ranged = not_before is not None or not_after is not None
    if sum((days is not None, ranged, preset is not None)) > 1:
        raise click.UsageError(
            "Give one of --days, --not-before/--not-after or --preset, not several."
        )
    if not_before is not None and not_after is None:
        raise click.UsageError("--not-before needs --not-after.")
    return {
        "days": days,
        "not_before": not_before,
        "not_after": not_after,
        "validity_preset": preset,
    }


# --------------------------------------------------------------------------- cert


@click.group("cert")
def cert_group() -> None:
    """Certificate workbench: client certificates, CSR signing, inspection."""


@cert_group.command("new")
@click.argument("domain")
@click.option(
    "--key-type",
    type=click.Choice(list(cw.KEY_TYPES)),
    default=cw.DEFAULT_KEY_TYPE,
    show_default=True,
)
@days_option
@click.option("--not-before", default=None, metavar="T", help="Start, e.g. 2026-12-01T00:00Z.")
@click.option("--not-after", default=None, metavar="T", help="End (with --not-before, or alone).")
@click.option("--preset", type=click.Choice(list(cw.PRESETS)), default=None)
@click.option(
    "--issuer", "issuer", type=click.Choice(["self", "harness"]), default="self", show_default=True
)
@click.option("--extra-san", "extra_sans", multiple=True, metavar="NAME", help="Repeatable.")
@as_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files (created if missing).",
)
@click.option("--p12", is_flag=True, help="Also write <domain>.p12 (password from stdin/prompt).")
@click.option(
    "--key-passphrase-stdin",
    is_flag=True,
    help="Encrypt the key with a passphrase read from stdin (first line) or a prompt.",
)
@force_option
@with_appcontext
def cert_new(
    domain: str,
    key_type: str,
    days: int | None,
    not_before: str | None,
    not_after: str | None,
    preset: str | None,
    issuer: str,
    extra_sans: tuple[str, ...],
    as_email: str | None,
    out_dir: Path,
    p12: bool,
    key_passphrase_stdin: bool,
    force: bool,
) -> None:
    """Make a clientAuth certificate and key for DOMAIN into --out; print its TLSA records.

    Writes DOMAIN.pem, DOMAIN.key (PKCS#8, mode 0600), DOMAIN-chain.pem (the issuing CA, with
    --issuer harness) and DOMAIN.p12 (with --p12). With --key-passphrase-stdin and --p12 both,
    standard input holds the key passphrase on its first line, the PKCS#12 password on its
    second. --issuer harness needs --as EMAIL: the harness CA issues only names that user may
    publish in the harness zone.
    """
    if issuer == "harness" and as_email is None:
        raise click.UsageError(
            "--issuer harness needs --as EMAIL: the harness CA issues only names that user "
            "may publish."
        )
    params: dict[str, Any] = {
        "domain_name": domain,
        "key_type": key_type,
        "issuer": issuer,
        "extra_sans": list(extra_sans),
        **_validity_params(days, not_before, not_after, preset),
    }
    name = _name(domain)
    paths = {
        "certificate": out_dir / f"{name}.pem",
        "private key": out_dir / f"{name}.key",
        "chain": out_dir / f"{name}-chain.pem",
        "PKCS#12": out_dir / f"{name}.p12",
    }
    if issuer != "harness":
        del paths["chain"]
    if not p12:
        del paths["PKCS#12"]
    if out_dir.exists() and not out_dir.is_dir():
        raise click.ClickException(f"{out_dir} is not a folder.")
    refuse_existing(paths.values(), force)
    if key_passphrase_stdin:
        params["key_passphrase"] = read_secret("Key passphrase", "key passphrase")
    if p12:
        params["pkcs12_password"] = read_secret("PKCS#12 password", "PKCS#12 password")
    mosapi = workbench.mosapi_base_url(current_app.config)
    made = workbench.generate(
        params,
        current_app.config["CERTS_DIR"],
        workbench.snippet_target(current_app.config),
        _publisher(as_email),
    )
    contents = {
        "certificate": (made.certificate.encode(), PUBLIC_MODE),
        "private key": (made.private_key.encode(), SECRET_MODE),
        "chain": (made.chain.encode(), PUBLIC_MODE),
        "PKCS#12": (base64.b64decode(made.pkcs12 or ""), SECRET_MODE),
    }
    write_all([(path, *contents[what]) for what, path in paths.items()], force)
    info = made.info
    click.echo(f"{info['subject']}, issued by {info['issuer']}")
    click.echo(f"valid {info['not_before']} to {info['not_after']} ({info['validity_note']})")
    for what, path in paths.items():
        extra = ""
        if what == "private key":
            extra = " (PKCS#8, mode 0600, " + (
                "encrypted)" if made.private_key_encrypted else "not encrypted)"
            )
        elif what == "PKCS#12":
            extra = " (mode 0600)"
        click.echo(f"{what + ':':13} {path}{extra}")
    for note in made.notes:
        click.echo(f"note: {note}")
    click.echo(f"TLSA records (publish one at {name}):")
    _echo_records(made.tlsa)
    if issuer == "harness":
        click.echo("DANE-TA (2 0 1) needs the client to send the chain: leaf then CA.")
    ca_file = Path(current_app.config["CERTS_DIR"]) / "harness-ca.pem"
    click.echo(
        f"try: curl --cacert {ca_file} --cert {paths['certificate']} "
        f"--key {paths['private key']} {mosapi}/ry/<tld>/v2/monitoring/state"
    )


@cert_group.command("sign-csr")
@click.argument("csr_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@days_option
@click.option(
    "--as",
    "as_email",
    required=True,
    metavar="EMAIL",
    help="Who asks: the harness CA issues only names this user may publish.",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the certificate (PEM).",
)
@force_option
@with_appcontext
def cert_sign_csr(
    csr_file: Path, days: int | None, as_email: str, out_file: Path, force: bool
) -> None:
    """Issue a clientAuth certificate from the harness CA for CSR_FILE (PEM or DER PKCS#10),
    if the user --as may publish every name it asks for."""
    refuse_existing([out_file], force)
    data = read_upload(csr_file)
    publisher = _publisher(as_email)
    assert publisher is not None
    signed = workbench.sign_csr(
        {"csr": data, "days": days}, current_app.config["CERTS_DIR"], publisher
    )
    write_all([(out_file, signed.certificate.encode(), PUBLIC_MODE)], force)
    info = signed.info
    click.echo(f"certificate: {out_file}")
    click.echo(f"{info['subject']} ({', '.join(info['sans'])}), issued by {info['issuer']}")
    click.echo(f"valid {info['not_before']} to {info['not_after']}")
    click.echo(f"issuing CA: {Path(current_app.config['CERTS_DIR']) / 'harness-ca.pem'}")
    click.echo("TLSA records:")
    _echo_records(signed.tlsa)


def _report(result: workbench.Inspection) -> None:
    certs = result.certificates
    for i, c in enumerate(certs):
        role = "leaf" if i == 0 else "issuer"
        click.echo(f"Certificate {i + 1} of {len(certs)} ({role})")
        bits = f", {c['key_bits']} bits" if c["key_bits"] else ""
        eku = ", ".join(c["extended_key_usage"]) or "(none)"
        for label, value in (
            ("subject", c["subject"]),
            ("SANs", ", ".join(c["sans"]) or "(none)"),
            ("issuer", c["issuer"] + (" (self-signed)" if c["self_signed"] else "")),
            ("serial", c["serial"]),
            ("not before", c["not_before"]),
            ("not after", c["not_after"]),
            ("valid now", f"{'yes' if c['valid_now'] else 'no'} ({c['validity_note']})"),
            ("key", f"{c['key_type']}{bits}"),
            ("CA", "yes" if c["ca"] else "no"),
            ("EKU", eku),
            ("SHA-256", c["sha256_fingerprint"]),
            ("SPKI SHA-256", c["spki_sha256"]),
        ):
            click.echo(f"  {label:13} {value}")
        if i == 0 and c["extended_key_usage"] and "clientAuth" not in c["extended_key_usage"]:
            click.echo("  warning: no clientAuth in the EKU; TLS clients will not use it.")
    click.echo("TLSA records:")
    _echo_records(result.tlsa)


@cert_group.command("inspect")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def cert_inspect(file: Path, as_json: bool) -> None:
    """Describe a certificate or a chain (PEM or DER) and the TLSA records that bind it."""
    result = workbench.inspect({"certificate": read_upload(file)})
    if as_json:
        click.echo(Inspection.model_validate(result).model_dump_json(indent=2))
    else:
        _report(result)


# --------------------------------------------------------------------------- tlsa


def _kinds(records: tuple[str, ...]) -> list[str]:
    kinds: list[str] = []
    for raw in records:
        kind = " ".join(raw.split())
        if kind not in workbench.RECORD_KINDS:
            raise click.UsageError(
                f"--records {raw!r}: choose among {', '.join(repr(k) for k in RECORD_KINDS)}."
            )
        if kind not in kinds:
            kinds.append(kind)
    return kinds


@click.command("tlsa")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Owner name (default: the certificate's first SAN).")
@click.option(
    "--records",
    "records",
    multiple=True,
    metavar='"U S M"',
    help='Which records: "3 1 1", "3 0 1", "2 0 1" (repeatable; publishing defaults to 3 1 1).',
)
@click.option("--publish", is_flag=True, help="Store the records in the harness zone.")
@click.option("--as", "as_email", default=None, metavar="EMAIL", help="The publishing user.")
@with_appcontext
def tlsa_command(
    file: Path, name: str | None, records: tuple[str, ...], publish: bool, as_email: str | None
) -> None:
    """Print the TLSA records of a certificate (or chain); --publish stores them."""
    kinds = _kinds(records)
    if publish and not as_email:
        raise click.UsageError("--publish needs --as EMAIL (the user who publishes).")
    if as_email and not publish:
        raise click.UsageError("--as only applies with --publish.")
    if name is not None:
        name = _name(name, "name")
    data = read_upload(file)
    info = workbench.inspect({"certificate": data})
    if name is None and info.tlsa[0]["name"] not in info.certificates[0]["sans"]:
        raise click.ClickException(
            f"the certificate in {file} has no DNS name in its subjectAltName: give --name."
        )
    available = {f"{r['usage']} {r['selector']} {r['matching_type']}": r for r in info.tlsa}
    for kind in kinds:
        if kind not in available:
            raise click.ClickException(
                f"{kind} needs the issuing CA: give the chain (leaf then CA) in {file}."
            )
    if publish:
        publisher = _publisher(as_email)
        assert publisher is not None
        published = workbench.publish_from_certificate(
            publisher, {"certificate": data, "name": name, "records": kinds or ["3 1 1"]}
        )
        click.echo(f"published in the harness zone as {publisher.user.email}:")
        for row in published:
            click.echo(row.presentation)
        return
    owner = name or info.tlsa[0]["name"]
    for kind in kinds or list(available):
        r = available[kind]
        record = TlsaRecord(r["usage"], r["selector"], r["matching_type"], bytes.fromhex(r["data"]))
        click.echo(f"{record.presentation(owner, r['ttl'])}  ; {r['meaning']}")
