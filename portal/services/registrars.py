"""The ICANN-accredited registrars the RRI mock knows (IANA id and name): the list a
transactions report's ``iana-id`` column is checked against. Test data, like a scenario: no TLD
version, no audit event. The migration that creates the table fills it with a sample."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.validation import Finding
from ..models import Registrar
from .errors import Invalid, NotFound

MAX_NAME_LENGTH = 255


def list_registrars(session: Session) -> list[Registrar]:
    return list(session.scalars(select(Registrar).order_by(Registrar.iana_id)))


def accredited_ids(session: Session) -> frozenset[int]:
    return frozenset(session.scalars(select(Registrar.iana_id)))


def add(session: Session, iana_id: int, name: str) -> Registrar:
    name = " ".join(name.split())
    findings: list[Finding] = []
    if iana_id < 1:
        findings.append(Finding("iana_id", "An IANA registrar id is a positive whole number."))
    elif session.get(Registrar, iana_id) is not None:
        findings.append(Finding("iana_id", f"IANA id {iana_id} is already listed."))
    if not name:
        findings.append(Finding("name", "Enter the registrar's name."))
    elif len(name) > MAX_NAME_LENGTH:
        findings.append(Finding("name", f"A name has at most {MAX_NAME_LENGTH} characters."))
    if findings:
        raise Invalid(findings)
    registrar = Registrar(iana_id=iana_id, name=name)
    session.add(registrar)
    session.commit()
    return registrar


def remove(session: Session, iana_id: int) -> Registrar:
    registrar = session.get(Registrar, iana_id)
    if registrar is None:
        raise NotFound(f"registrar with IANA id {iana_id}")
    session.delete(registrar)
    session.commit()
    return registrar
