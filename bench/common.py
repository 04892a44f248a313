"""What the benchmarks share: the gTLD list, generated TLS client authentication entries, and
nearest-rank percentiles.

The scripts put the repository root on sys.path before they import this (`bench.common`).
"""

from __future__ import annotations

import ipaddress
import math
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GTLDS_CSV = ROOT / "portal" / "data" / "gtlds.csv"
ENTRIES_PER_TLD = 3
PREFIXES_PER_ENTRY = 10  # 6 IPv4 /28 and 4 IPv6 /56
ENTRY_KINDS = ("mosapi-client", "rri-reporter", "escrow-agent")
# IPv4 /28s from 11.0.0.0/8 and IPv6 /56s from 2a10::/16, every other block, so that no two
# prefixes are adjacent.
_V4_BASE = int(ipaddress.IPv4Address("11.0.0.0"))
_V6_BASE = int(ipaddress.IPv6Address("2a10::"))


def pct(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (nan without samples)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ip_acl(tld_index: int, entry: int) -> list[str]:
    """The 10 prefixes of a TLD's entry: distinct for every (TLD, entry)."""
    n = (tld_index * ENTRIES_PER_TLD + entry) * PREFIXES_PER_ENTRY
    v4 = [f"{ipaddress.IPv4Address(_V4_BASE + (n + p) * 32)}/28" for p in range(6)]
    v6 = [f"{ipaddress.IPv6Address(_V6_BASE + ((n + p) * 2 << 72))}/56" for p in range(4)]
    return v4 + v6


def entries_for(tld_index: int, names: Sequence[str]) -> list[Any]:
    """A TLD's 3 entries (validated `Entry` values) named `names`; roles vary from TLD to TLD."""
    from portal.core.roles import ROLE_IDS
    from portal.core.validation import validate_entry

    role_ids = list(ROLE_IDS)
    out = []
    for e, name in enumerate(names):
        first = (tld_index + e) % len(role_ids)
        count = 1 + (tld_index + 2 * e) % 4
        roles = [role_ids[(first + k) % len(role_ids)] for k in range(count)]
        checked = validate_entry(
            {"domain_name": name, "roles": roles, "ip_acl": ip_acl(tld_index, e)}
        )
        assert checked.value is not None, checked.findings
        assert len(checked.value.ip_acl) == PREFIXES_PER_ENTRY
        out.append(checked.value)
    return out


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, as a service manager would; killed if it does not leave within 20 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def fresh_database(workdir: Path, pg_base: str, prefix: str) -> tuple[str, Any]:
    """An empty database migrated to head — a new SQLite file in `workdir`, or with `pg_base`
    (postgresql://…) a new schema there — its SQLAlchemy URL, and how to drop it."""
    import secrets

    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from infra.database import db
    from portal.app import create_app

    def drop() -> None:
        return None

    if pg_base:
        base = pg_base.replace("postgresql://", "postgresql+psycopg://", 1)
        schema = f"{prefix}_{secrets.token_hex(4)}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{schema}"

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    else:
        url = f"sqlite:///{workdir / f'{prefix}-{secrets.token_hex(4)}.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url, drop
