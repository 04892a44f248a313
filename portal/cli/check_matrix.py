"""`tlsauth check-matrix`: for each TLD and role, one harmless call to the endpoint that needs the
role (portal/core/endpoints.py `role_probe`: a read, for the write roles a status read of their
own reports) and a TLD × role table of what TLS client authentication said.

A role served by both mocks (maintenance-window, probe-node-list) is called on both; its cell is
allowed only when both allowed. Calls run on `--workers` threads sharing kept-alive connections,
at most 4 to MoSAPI (its limit of concurrent sessions per certificate).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import click

from ..api.schemas import MatrixCall, MatrixCell, MatrixResult
from ..core.endpoints import example_path, role_probe
from ..core.reasons import CallFacts
from ..core.roles import ROLE_IDS
from ..core.validation import validate_domain_name
from ..core.verdict import ALLOWED, DENIED, UNKNOWN
from .check import (
    ERROR,
    EXIT_ALLOWED,
    EXIT_DENIED,
    EXIT_ERROR,
    VERDICT_RULE,
    CheckFailed,
    credential_options,
    https_url,
    load_context,
    outcome_of,
)
from .mtls_client import CallResult, MtlsClient

SYSTEMS = ("mosapi", "rri")
MOSAPI_SESSIONS = 4  # "4 concurrent sessions per certificate" (MoSAPI specification)
MAX_TLDS = 10_000
MAX_TLDS_FILE_BYTES = 1 << 20
# The cell's verdict is the first of these that any of its calls has.
PRECEDENCE = (DENIED, ERROR, UNKNOWN, ALLOWED)


@dataclass(frozen=True)
class Probe:
    tld: str
    role: str
    system: str
    url: str


def probes_for(tlds: Iterable[str], bases: dict[str, str]) -> list[Probe]:
    """Every (TLD, role, mock) call, in table order; `bases` maps a mock to its base URL."""
    out = []
    for tld in tlds:
        for role in ROLE_IDS:
            for system in SYSTEMS:
                route = role_probe(system, role)
                if system in bases and route is not None:
                    url = bases[system].rstrip("/") + example_path(route, tld)
                    out.append(Probe(tld, role, system, url))
    return out


def _tld_name(raw: str) -> str | None:
    label = raw.strip().strip(".")
    checked = validate_domain_name(f"x.{label}", "tld")
    if checked.value is None or "." in checked.value[2:]:
        return None
    return checked.value[2:]


def read_tlds(files: Iterable[Path], names: Iterable[str]) -> list[str]:
    """TLDs from --tlds files (one a line, or a CSV whose first column is the TLD, such as
    gtlds.csv; `#` starts a comment) and --tld options, without repeats, in order given."""
    raw: list[tuple[str, str]] = []
    for path in files:
        with path.open("rb") as fh:
            data = fh.read(MAX_TLDS_FILE_BYTES + 1)
        if len(data) > MAX_TLDS_FILE_BYTES:
            raise CheckFailed(f"{path}: a TLD list is at most 1 MiB.")
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            first = line.split("#", 1)[0].split(",", 1)[0].strip().strip('"')
            if first and not (number == 1 and first.lower() in ("tld", "name")):
                raw.append((first, f"{path}, line {number}"))
    raw += [(name, "--tld") for name in names]
    tlds: dict[str, None] = {}
    for text, where in raw:
        name = _tld_name(text)
        if name is None:
            raise CheckFailed(f"{where}: {text!r} is not a TLD.")
        tlds[name] = None
    if not tlds:
        raise click.UsageError("Name the TLDs: --tlds FILE or --tld NAME (repeatable).")
    if len(tlds) > MAX_TLDS:
        raise CheckFailed(f"At most {MAX_TLDS:,} TLDs at once.")
    return list(tlds)


def _call(probe: Probe, result: CallResult) -> MatrixCall:
    verdict = result.verdict
    return MatrixCall(
        system=probe.system,
        url=probe.url,
        status=result.status,
        verdict=outcome_of(result),  # type: ignore[arg-type]
        reason=verdict.why if verdict else result.error,
        decision_id=verdict.decision_id if verdict else None,
        error=result.error_detail if verdict is None else None,
        elapsed_ms=round(result.elapsed_ms, 1),
    )


def cell_of(
    tld: str, role: str, calls: list[tuple[Probe, CallResult]], source: str | None
) -> MatrixCell:
    shown = [_call(p, r) for p, r in calls]
    verdict = next(v for v in PRECEDENCE if any(c.verdict == v for c in shown))
    reason = sentence = None
    if verdict != ALLOWED:
        index = next(i for i, c in enumerate(shown) if c.verdict == verdict)
        deciding = shown[index]
        reason = deciding.reason
        if len({(c.verdict, c.reason) for c in shown}) > 1:  # the mocks disagree: say which
            reason = f"{deciding.system}: {reason}"
        read = calls[index][1].verdict
        if read is not None:
            sentence = read.sentence(CallFacts(tld=tld, role=role, source=source))
    return MatrixCell(
        tld=tld,
        role=role,  # type: ignore[arg-type]
        verdict=verdict,  # type: ignore[arg-type]
        reason=reason,
        sentence=sentence,
        calls=shown,
    )


def run_matrix(
    client: MtlsClient, probes: list[Probe], workers: int, progress: bool
) -> list[tuple[Probe, CallResult]]:
    results: list[CallResult | None] = [None] * len(probes)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
        futures = {pool.submit(client.call, "GET", p.url): i for i, p in enumerate(probes)}
        with click.progressbar(
            length=len(probes),
            label="Checking",
            file=sys.stderr if progress else None,
            hidden=not progress,
        ) as bar:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
    return [(p, r) for p, r in zip(probes, results, strict=True) if r is not None]


def matrix_of(
    tlds: list[str], results: list[tuple[Probe, CallResult]], source: str | None
) -> tuple[list[str], list[MatrixCell]]:
    grouped: dict[tuple[str, str], list[tuple[Probe, CallResult]]] = {}
    for probe, result in results:
        grouped.setdefault((probe.tld, probe.role), []).append((probe, result))
    roles = [r for r in ROLE_IDS if any(role == r for _, role in grouped)]
    cells = [cell_of(t, r, grouped[(t, r)], source) for t in tlds for r in roles]
    return roles, cells


def exit_code_of(cells: list[MatrixCell]) -> int:
    verdicts = {c.verdict for c in cells}
    if DENIED in verdicts:
        return EXIT_DENIED
    if verdicts - {ALLOWED}:
        return EXIT_ERROR
    return EXIT_ALLOWED


def _cell_text(cell: MatrixCell) -> str:
    return cell.verdict if cell.reason is None else f"{cell.verdict} ({cell.reason})"


def print_matrix(shown: MatrixResult) -> None:
    by_tld: dict[str, dict[str, MatrixCell]] = {}
    for cell in shown.cells:
        by_tld.setdefault(cell.tld, {})[cell.role] = cell
    header = ["TLD", *shown.roles]
    rows = [[tld, *(_cell_text(by_tld[tld][r]) for r in shown.roles)] for tld in shown.tlds]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(text.ljust(w) for text, w in zip(row, widths, strict=True)).rstrip())
    examples: dict[str, tuple[int, MatrixCell]] = {}
    for cell in shown.cells:
        if cell.verdict != ALLOWED and cell.reason:
            count, first = examples.get(cell.reason, (0, cell))
            examples[cell.reason] = (count + 1, first)
    if examples:
        click.echo("\nWhy not allowed:")
        for reason, (count, first) in examples.items():
            plural = "s" if count > 1 else ""
            click.echo(f"  {reason} ({count} cell{plural}), e.g. .{first.tld} {first.role}:")
            detail = first.sentence or next(
                (c.error for c in first.calls if c.error), "no decision header: see the status"
            )
            click.echo(f"    {detail}")
    counts = ", ".join(
        f"{n} {v}{'s' if v == ERROR and n != 1 else ''}" for v, n in shown.counts.items()
    )
    click.echo(
        f"\n{len(shown.tlds)} TLDs × {len(shown.roles)} roles: {counts} "
        f"({shown.calls} calls in {shown.elapsed_s:.1f} s)"
    )


@click.command("check-matrix", epilog=VERDICT_RULE)
@click.option(
    "--tlds",
    "tld_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of TLDs: one a line, or a CSV whose first column is the TLD (gtlds.csv).",
)
@click.option("--tld", "tld_names", multiple=True, help="A TLD (repeatable).")
@click.option("--mosapi", callback=https_url, help="MoSAPI base URL.")
@click.option("--rri", callback=https_url, help="RRI base URL.")
@credential_options
@click.option(
    "--workers",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Calls in flight at once (at most 4 of them to MoSAPI).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def check_matrix_command(
    tld_files: tuple[Path, ...],
    tld_names: tuple[str, ...],
    mosapi: str | None,
    rri: str | None,
    cert: Path,
    key: Path | None,
    ca: Path | None,
    passphrase_file: Path | None,
    source_address: str | None,
    timeout: float,
    workers: int,
    as_json: bool,
) -> None:
    """For each TLD and role, call one read-only endpoint that needs the role (a status read
    for the write roles) and print a TLD × role table: allowed, or denied and why.

    Give --mosapi, --rri or both (base URLs, e.g. https://localhost:8443); roles of the other
    mock are left out. A role on both mocks is called on both and allowed only if both allow.

    Exit status: 0 every cell allowed, 1 some cell denied, 2 none denied but some not decided
    (an error such as a refused connection or a timeout, or an unknown answer), or a usage
    error."""
    bases = {s: u for s, u in (("mosapi", mosapi), ("rri", rri)) if u}
    if not bases:
        raise click.UsageError("Give --mosapi URL, --rri URL or both.")
    tlds = read_tlds(tld_files, tld_names)
    context = load_context(cert, key, ca, passphrase_file)
    client = MtlsClient(
        context, timeout=timeout, source_address=source_address, max_connections=workers
    )
    if mosapi:
        client.limit_server(mosapi, MOSAPI_SESSIONS)
    probes = probes_for(tlds, bases)
    started = time.perf_counter()
    try:
        results = run_matrix(client, probes, workers, sys.stdout.isatty() and not as_json)
    finally:
        client.close()
    elapsed = time.perf_counter() - started
    roles, cells = matrix_of(tlds, results, source_address)
    counts = {v: sum(c.verdict == v for c in cells) for v in (ALLOWED, DENIED, UNKNOWN, ERROR)}
    shown = MatrixResult(
        tlds=tlds,
        roles=roles,  # type: ignore[arg-type]
        cells=cells,
        counts=counts,
        calls=len(results),
        elapsed_s=round(elapsed, 3),
    )
    if as_json:
        click.echo(shown.model_dump_json(indent=2))
    else:
        print_matrix(shown)
    raise click.exceptions.Exit(exit_code_of(cells))
