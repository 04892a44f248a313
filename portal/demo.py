"""The demo data set loaded by `tlsauth demo` (documented in docs/demo.md)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .core.validation import Limits
from .models import Tld
from .services import configuration as cfg
from .services import directory

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - documented in the README; demo data only
GTLDS_CSV = Path(__file__).parent / "data" / "gtlds.csv"
ICANN_ORG = "ICANN"
RSP_ORG = "Demo RSP"
RSP_TLDS = ("app", "dev", "page", "shop", "store")
OPERATOR_ORG = "fTLD Registry Services, LLC"  # operator of .bank and .insurance in gtlds.csv
# gtlds.csv spells .insurance's operator "fTLD Registry Services LLC" (no comma); the demo
# gives both TLDs to OPERATOR_ORG as docs/demo.md says.
OPERATOR_TLDS = ("bank", "insurance")
USERS = (
    ("staff@icann.example", ICANN_ORG),
    ("rsp@rsp.example", RSP_ORG),
    ("registry@bank.example", OPERATOR_ORG),
)


def seed_demo(session: Session, gtlds_csv: str, password: str) -> str:
    result = directory.import_gtlds(session, gtlds_csv)
    directory.create_organisation(session, ICANN_ORG, "icann")
    rsp = directory.create_organisation(session, RSP_ORG, "rsp")
    for name in RSP_TLDS:
        tld = session.scalars(select(Tld).where(Tld.name == name)).one()
        tld.rsp_id = rsp.id
    operator = directory.get_organisation(session, OPERATOR_ORG)
    for name in OPERATOR_TLDS:
        session.scalars(select(Tld).where(Tld.name == name)).one().operator_id = operator.id
    session.commit()
    for email, org in USERS:
        directory.create_user(session, email, org, password)
    bank = session.scalars(select(Tld).where(Tld.name == "bank")).one()
    cfg.replace_entries(
        session,
        bank,
        [
            {
                "domain_name": "client.bank.example",
                "roles": ["mosapi-slam", "rri-monthly-reports"],
                "ip_acl": ["127.0.0.1/32", "::1/128"],
            }
        ],
        bank.version,
        cfg.Actor("tlsauth demo", "cli"),
        Limits(),
    )
    return (
        f"demo loaded: {result.tlds_added} gTLDs; users {', '.join(e for e, _ in USERS)} "
        f"(password {password!r}); Demo RSP manages .{', .'.join(RSP_TLDS)}"
    )
