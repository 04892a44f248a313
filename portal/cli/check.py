"""`tlsauth check`: one call to a MoSAPI or RRI endpoint (the harness mocks or ICANN's) with a
client certificate, and whether TLS client authentication let it through.

Runs without the portal: no app, no settings, no database. The verdict rule is in
portal/core/verdict.py; the sentences are those of portal/core/reasons.py.
"""

from __future__ import annotations

import ipaddress
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from urllib3.util import parse_url

from ..api.schemas import CheckDecision, CheckResult
from ..core.reasons import CallFacts
from ..core.simulation import find_endpoint
from ..core.verdict import ALLOWED, DENIED
from .mtls_client import CallResult, CredentialError, MtlsClient, tls_context

EXIT_ALLOWED, EXIT_DENIED, EXIT_ERROR = 0, 1, 2
ERROR = "error"
MAX_PASSPHRASE_BYTES = 4096

VERDICT_RULE = """\
\b
Verdict: with an X-TLSAuth-Decision header (the harness mocks send one) the header decides,
whatever the status: an allowed RRI status read that answers 404 "nothing yet" is ALLOWED.
Without it (a real ICANN endpoint) 2xx is ALLOWED, 401 and 403 are DENIED, and any other
status is UNKNOWN. No answer (connection refused, TLS failure, timeout) is an ERROR."""


class CheckFailed(click.ClickException):
    """A checker's own refusal (an unusable file or option): exit 2, like click's usage
    errors, so that 1 always means denied."""

    exit_code = EXIT_ERROR


def _source_address(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an IP address.") from exc


def https_url(
    _ctx: click.Context | None, _param: click.Parameter | None, value: str | None
) -> str | None:
    if value is None:
        return None
    try:
        parts = parse_url(value.strip())
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a URL.") from exc
    if parts.scheme != "https" or not parts.host:
        raise click.BadParameter(f"{value!r}: give an https:// URL with a host.")
    return value.strip()


def credential_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--cert, --key, --ca, --passphrase-file, --source-address, --timeout."""
    file = click.Path(exists=True, dir_okay=False, path_type=Path)
    options = (
        click.option(
            "--cert",
            required=True,
            type=file,
            help="Client certificate (PEM; intermediates may follow it in the file).",
        ),
        click.option("--key", type=file, help="Its private key (PEM); default: in --cert."),
        click.option(
            "--ca",
            type=file,
            help="CA file the server's certificate is checked against (the harness CA for the "
            "mocks); default: the system's trust store.",
        ),
        click.option(
            "--passphrase-file",
            type=file,
            help="File whose first line is the passphrase of an encrypted key.",
        ),
        click.option(
            "--source-address",
            callback=_source_address,
            help="Local address to call from (e.g. 127.0.0.2 or ::1 against the local mocks).",
        ),
        click.option(
            "--timeout",
            default=10.0,
            show_default=True,
            type=click.FloatRange(0.1, 300),
            help="Seconds to wait for the connection, and then for the answer.",
        ),
    )
    for option in reversed(options):
        func = option(func)
    return func


def load_context(
    cert: Path, key: Path | None, ca: Path | None, passphrase_file: Path | None
) -> ssl.SSLContext:
    """The TLS context of the options; an unusable file ends the command (exit 2)."""
    passphrase = None
    if passphrase_file is not None:
        with passphrase_file.open("rb") as fh:
            raw = fh.read(MAX_PASSPHRASE_BYTES + 1)
        if len(raw) > MAX_PASSPHRASE_BYTES:
            raise CheckFailed(f"{passphrase_file}: a passphrase is at most 4 KiB.")
        passphrase = raw.decode("utf-8", "replace").splitlines()[0] if raw.strip() else ""
    try:
        return tls_context(cert, key, ca, passphrase)
    except CredentialError as exc:
        raise CheckFailed(str(exc)) from exc


def outcome_of(result: CallResult) -> str:
    verdict = result.verdict
    return ERROR if verdict is None else verdict.outcome


def check_result(result: CallResult, source: str | None) -> CheckResult:
    """The call, its decision and its verdict, as `--json` prints it (and the text reads)."""
    parts = parse_url(result.url)
    path = parts.path or "/"
    match = find_endpoint(path, result.method) or find_endpoint(path, None)
    route = match.route if match else None
    facts = CallFacts(
        tld=match.tld if match else None, role=route.role if route else None, source=source
    )
    verdict = result.verdict
    decision = None
    if verdict is not None and verdict.header is not None:
        decision = CheckDecision(
            id=verdict.decision_id,
            allowed=verdict.outcome == ALLOWED,
            reason=verdict.reason,
            header=verdict.header,
        )
    return CheckResult(
        url=result.url,
        method=result.method,
        system=route.system if route else None,
        tld=facts.tld,
        role=facts.role,
        source_address=source,
        status=result.status,
        decision=decision,
        sentence=verdict.sentence(facts) if verdict else None,
        verdict=verdict.outcome if verdict else ERROR,
        reason=verdict.why if verdict else result.error,
        error=result.error,
        error_detail=result.error_detail,
        elapsed_ms=round(result.elapsed_ms, 1),
        body_start=result.body_start.decode("utf-8", "replace"),
    )


def exit_code(outcome: str) -> int:
    return {ALLOWED: EXIT_ALLOWED, DENIED: EXIT_DENIED}.get(outcome, EXIT_ERROR)


def _one_line(text: str, width: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_check(shown: CheckResult) -> None:
    def row(label: str, value: str) -> None:
        click.echo(f"{label + ':':<10}{value}")

    row("call", f"{shown.method} {shown.url}")
    if shown.system:
        row("endpoint", f"{shown.system}, needs {shown.role or 'no role'}")
    if shown.source_address:
        row("from", shown.source_address)
    if shown.error:
        row("error", f"{shown.error}: {shown.error_detail}")
        click.echo(f"verdict:  ERROR ({shown.error})")
        return
    row("status", str(shown.status))
    if shown.decision is not None:
        row("decision", shown.decision.header)
    else:
        row("decision", "no X-TLSAuth-Decision header: the verdict comes from the status")
    if shown.sentence:
        row("why", shown.sentence)
    if shown.body_start:
        row("body", _one_line(shown.body_start))
    row("time", f"{shown.elapsed_ms:.0f} ms")
    label = shown.verdict.upper()
    click.echo(f"verdict:  {label}{f' ({shown.reason})' if shown.reason else ''}")


@click.command("check", epilog=VERDICT_RULE)
@click.option(
    "--url",
    required=True,
    callback=https_url,
    help="The endpoint, e.g. https://localhost:8443/ry/example/v2/monitoring/state.",
)
@credential_options
@click.option(
    "--method",
    default="GET",
    show_default=True,
    type=click.Choice(["GET", "HEAD", "POST", "PUT", "DELETE"], case_sensitive=False),
    help="HTTP method (POST and PUT send an empty body).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def check_command(
    url: str,
    cert: Path,
    key: Path | None,
    ca: Path | None,
    passphrase_file: Path | None,
    source_address: str | None,
    timeout: float,
    method: str,
    as_json: bool,
) -> None:
    """Call one MoSAPI or RRI endpoint with a client certificate and say whether TLS client
    authentication allowed it, and why.

    Exit status: 0 allowed, 1 denied, 2 error or unknown (no answer, an answer that says
    nothing about the certificate, or a usage error)."""
    context = load_context(cert, key, ca, passphrase_file)
    client = MtlsClient(context, timeout=timeout, source_address=source_address)
    try:
        result = client.call(method.upper(), url)
    finally:
        client.close()
    shown = check_result(result, source_address)
    if as_json:
        click.echo(shown.model_dump_json(indent=2))
    else:
        print_check(shown)
    sys.stdout.flush()
    raise click.exceptions.Exit(exit_code(shown.verdict))
