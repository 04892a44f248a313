"""The seed document (version 1): reading it (YAML or JSON) and checking it into typed values.

Pure: no Flask, no database. Every problem is a `Finding` whose field is the path in the
document (`tlds[3].entries[0].ip_acl[1]`), with the message of the project's own validators
(portal.core.validation, .scenario, .tlsa, .certificates), so a seed says what the portal says.
What only the database can tell (an organisation's kind when the document does not list it, who
may publish at a name) is checked by the service that applies the document
(portal.services.seed), before it changes anything.

The format is described field by field in docs/seed.md; its JSON Schema is `schema()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from . import certificates as cw
from .access import ORGANISATION_KINDS, REGISTRY_OPERATOR, RSP
from .scenario import validate_scenario
from .tlsa import TlsaRecord, validate_record
from .validation import (
    BASIC_ACCOUNTS,
    Checked,
    Entry,
    Finding,
    Limits,
    validate_basic_password,
    validate_domain_name,
    validate_email,
    validate_entries,
    validate_prefix_list,
    validate_roles,
    validate_tld_name,
    validate_user_password,
)

SEED_VERSION = 1
SCHEMA_FILE = "seed.schema.json"
MAX_ORGANISATION_NAME = 200  # organisations.name
MAX_EMAIL = 254  # users.email
# A certificate's file stem: the files are <name>.pem, <name>.key and <name>.p12.
FILE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
ROOT = "document"

_TOP_KEYS = ("version", "organisations", "users", "tlds", "zone", "certificates")
_ORGANISATION_KEYS = ("name", "kind")
_USER_KEYS = ("email", "organisation", "password")
_TLD_KEYS = ("name", "operator", "rsp", "entries", "basic", "scenario")
_ENTRY_KEYS = ("domain_name", "roles", "ip_acl")
_BASIC_KEYS = ("ip_acl", "passwords")
_ZONE_KEYS = ("name", "organisation", "records")
_CERTIFICATES_KEYS = ("folder", "items")
_CERTIFICATE_KEYS = ("name", "domain_name", "key_type", "issuer", "days", "publish", "organisation")


# --------------------------------------------------------------------------- the values


@dataclass(frozen=True)
class OrganisationSpec:
    path: str
    name: str
    kind: str


@dataclass(frozen=True)
class UserSpec:
    path: str
    email: str
    organisation: str
    password: str | None  # None: generated for a new user, kept for an existing one


@dataclass(frozen=True)
class BasicSpec:
    ip_acl: tuple[str, ...] | None  # None: the Basic-auth prefixes are left as they are
    passwords: Mapping[str, str]  # account kind (ry, dea) → password


@dataclass(frozen=True)
class TldSpec:
    path: str
    name: str  # A-label
    operator: str | None  # None: an existing TLD keeps its operator
    rsp: str | None
    rsp_given: bool  # False: the RSP of record is left as it is; True with None: removed
    entries: tuple[Entry, ...] | None  # None: the entries are left as they are
    basic: BasicSpec | None
    scenario: dict[str, Any] | None  # as written (checked); None: left as it is


@dataclass(frozen=True)
class ZoneSpec:
    path: str
    name: str
    organisation: str
    records: tuple[TlsaRecord, ...]


@dataclass(frozen=True)
class CertificateSpec:
    path: str
    name: str  # file stem
    domain_name: str
    key_type: str
    issuer: str  # self | harness
    days: int
    publish: bool
    organisation: str | None


@dataclass(frozen=True)
class CertificatesSpec:
    folder: str
    items: tuple[CertificateSpec, ...]


@dataclass(frozen=True)
class SeedDocument:
    """A checked document; a section that is None was absent and changes nothing."""

    organisations: tuple[OrganisationSpec, ...] | None = None
    users: tuple[UserSpec, ...] | None = None
    tlds: tuple[TldSpec, ...] | None = None
    zone: tuple[ZoneSpec, ...] | None = None
    certificates: CertificatesSpec | None = None

    def declared_kinds(self) -> dict[str, str]:
        """Organisation name → kind, as the document lists them."""
        return {o.name: o.kind for o in self.organisations or ()}


# --------------------------------------------------------------------------- reading


class DocumentError(ValueError):
    """The text is not a YAML or JSON document (with the line, when the parser knows it)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line

    @property
    def finding(self) -> Finding:
        return Finding(f"line {self.line}" if self.line else ROOT, self.message)


_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader (the C parser where libyaml is there), with YAML 1.2's scalars:
    only true/false are booleans (not yes/no/on/off: `.no` is a TLD), dates stay text (a
    scenario's dates are written YYYY-MM-DD), and a key given twice is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float | bool) and key in seen:
                raise DocumentError(
                    f"the key {key!r} is given twice (first on line {seen[key]})", line
                )
            if isinstance(key, str | int | float | bool):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DocumentError(f"the key {key!r} is given twice in one object")
        out[key] = value
    return out


def _reject_aliases(data: Any) -> None:
    """A YAML alias makes two places one object: refused, so a few lines cannot stand for a
    document of millions of nodes."""
    seen: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            if id(item) in seen:
                raise DocumentError("YAML anchors and aliases (& and *) are not supported")
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)


def load_document(data: bytes | str, filename: str = "") -> Any:
    """The document's data: JSON when the file name ends in .json or the text starts with “{”,
    YAML otherwise. Raises DocumentError with the line of a syntax error."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError("the document is not UTF-8 text") from exc
    else:
        text = data.removeprefix("\ufeff")
    lower = filename.lower()
    as_json = lower.endswith(".json") or (
        not lower.endswith((".yaml", ".yml")) and text.lstrip().startswith("{")
    )
    if as_json:
        try:
            return json.loads(text, object_pairs_hook=_json_object)
        except json.JSONDecodeError as exc:
            raise DocumentError(
                f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno
            ) from exc
    try:
        loaded = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "a syntax error"
        raise DocumentError(f"not valid YAML: {problem}", mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise DocumentError(f"not valid YAML: {exc}") from exc
    _reject_aliases(loaded)
    return loaded


def schema() -> dict[str, Any]:
    """The JSON Schema of the format (portal/data/seed.schema.json)."""
    text = resources.files("portal").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- checking


def _index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path and key else path or key


def _placed(findings: list[Finding], prefix: str) -> list[Finding]:
    """A validator's findings (fields relative to a part) at their place in the document."""
    return [Finding(_key(prefix, f.field), f.message, f.severity) for f in findings]


def _yaml_hint(value: Any) -> str:
    return (
        " (YAML reads an unquoted true or false as a boolean: quote it)"
        if isinstance(value, bool)
        else ""
    )


class _Checker:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.findings: list[Finding] = []

    def error(self, path: str, message: str) -> None:
        self.findings.append(Finding(path or ROOT, message))

    def mapping(
        self, raw: Any, path: str, allowed: tuple[str, ...], what: str
    ) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            self.error(path, f"{what} must be an object (a mapping) with {', '.join(allowed)}.")
            return None
        for key in raw:
            if key not in allowed:
                self.error(_key(path, str(key)), f"unknown key; allowed: {', '.join(allowed)}")
        return raw

    def section(self, doc: dict[str, Any], key: str) -> list[Any] | None:
        raw = doc.get(key)
        if raw is None:
            return None
        if not isinstance(raw, list):
            self.error(key, f"{key} must be a list.")
            return None
        return raw

    def text(
        self, raw: dict[str, Any], key: str, path: str, *, required: bool, limit: int = 0
    ) -> str | None:
        value = raw.get(key)
        where = _key(path, key)
        if value is None:
            if required:
                self.error(where, f"{key} is required.")
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(where, f"{key} must be non-empty text{_yaml_hint(value)}.")
            return None
        if limit and len(value.strip()) > limit:
            self.error(where, f"{key} has more than {limit} characters.")
            return None
        return value.strip()

    def checked(self, result: Checked[Any]) -> Any:
        self.findings.extend(result.findings)
        return result.value

    def first_of(self, seen: dict[str, str], value: str, path: str, what: str) -> bool:
        """Whether `value` is listed for the first time; an error at `path` if not."""
        if value in seen:
            self.error(path, f"{what} {value} is listed twice (also at {seen[value]}).")
            return False
        seen[value] = path
        return True

    # ------------------------------------------------------------------ sections

    def organisations(self, items: list[Any]) -> tuple[OrganisationSpec, ...]:
        out: list[OrganisationSpec] = []
        seen: dict[str, str] = {}
        for i, raw in enumerate(items):
            path = _index("organisations", i)
            item = self.mapping(raw, path, _ORGANISATION_KEYS, "An organisation")
            if item is None:
                continue
            name = self.text(item, "name", path, required=True, limit=MAX_ORGANISATION_NAME)
            kind = item.get("kind")
            if kind not in ORGANISATION_KINDS:
                self.error(
                    _key(path, "kind"),
                    f"kind must be one of {', '.join(ORGANISATION_KINDS)}{_yaml_hint(kind)}.",
                )
                kind = None
            if (
                name is not None
                and self.first_of(seen, name, _key(path, "name"), "The organisation")
                and kind
            ):
                out.append(OrganisationSpec(path, name, kind))
        return tuple(out)

    def users(self, items: list[Any]) -> tuple[UserSpec, ...]:
        out: list[UserSpec] = []
        seen: dict[str, str] = {}
        for i, raw in enumerate(items):
            path = _index("users", i)
            item = self.mapping(raw, path, _USER_KEYS, "A user")
            if item is None:
                continue
            email = self.checked(validate_email(item.get("email"), _key(path, "email")))
            if email is not None and len(email) > MAX_EMAIL:
                self.error(_key(path, "email"), f"email has more than {MAX_EMAIL} characters.")
                email = None
            organisation = self.text(item, "organisation", path, required=True)
            password = item.get("password")
            problems = (
                [] if password is None else validate_user_password(password, _key(path, "password"))
            )
            self.findings.extend(problems)
            first = email is not None and self.first_of(
                seen, email, _key(path, "email"), "The user"
            )
            if first and organisation is not None and not problems:
                out.append(UserSpec(path, email, organisation, password))
        return tuple(out)

    def tlds(self, items: list[Any], kinds: dict[str, str]) -> tuple[TldSpec, ...]:
        out: list[TldSpec] = []
        seen: dict[str, str] = {}
        for i, raw in enumerate(items):
            path = _index("tlds", i)
            item = self.mapping(raw, path, _TLD_KEYS, "A TLD")
            if item is None:
                continue
            before = len(self.findings)
            name = None
            if item.get("name") is None:
                self.error(_key(path, "name"), "name is required.")
            else:
                name = self.checked(validate_tld_name(item["name"], _key(path, "name")))
            operator = self.text(item, "operator", path, required=False)
            self.party(operator, REGISTRY_OPERATOR, _key(path, "operator"), kinds)
            rsp = (
                self.text(item, "rsp", path, required=False)
                if item.get("rsp") is not None
                else None
            )
            self.party(rsp, RSP, _key(path, "rsp"), kinds)
            entries = self.entries(item.get("entries"), _key(path, "entries"))
            basic = self.basic(item.get("basic"), _key(path, "basic"))
            scenario = item.get("scenario")
            if scenario is not None:
                _, problems = validate_scenario(scenario)
                for where, message in problems:
                    spot = "" if where == "scenario" else where
                    self.error(_key(_key(path, "scenario"), spot), message)
            if name is not None:
                self.first_of(seen, name, _key(path, "name"), "The TLD")
            if any(f.severity == "error" for f in self.findings[before:]):
                continue
            out.append(
                TldSpec(
                    path,
                    name,
                    operator,
                    rsp,
                    "rsp" in item,
                    entries,
                    basic,
                    scenario,
                )
            )
        return tuple(out)

    def party(self, name: str | None, kind: str, path: str, kinds: dict[str, str]) -> None:
        """An organisation named as operator or RSP: the kind the document gives it must fit."""
        if name is not None and name in kinds and kinds[name] != kind:
            self.error(
                path, f"“{name}” is listed as {kinds[name]}; this must be a {kind} organisation."
            )

    def entries(self, raw: Any, path: str) -> tuple[Entry, ...] | None:
        if raw is None:
            return None
        if not isinstance(raw, list):
            self.error(path, "entries must be a list of entries.")
            return None
        shaped = True
        for j, item in enumerate(raw):
            where = _index(path, j)
            if self.mapping(item, where, _ENTRY_KEYS, "An entry") is None:
                shaped = False
                continue
            for key in ("roles", "ip_acl"):
                if key in item and not isinstance(item[key], list):
                    self.error(_key(where, key), f"{key} must be a list.")
                    shaped = False
        if not shaped:
            return None
        checked = validate_entries(raw, self.limits)
        prefix = path.removesuffix("entries")
        for finding in checked.findings:
            self.findings.extend(
                self.role_findings(raw, finding, prefix) or _placed([finding], prefix.rstrip("."))
            )
        return None if checked.value is None else tuple(checked.value)

    def role_findings(self, raw: list[Any], finding: Finding, prefix: str) -> list[Finding]:
        """An unknown role, placed at its index in the entry's roles."""
        match = re.fullmatch(r"entries\[(\d+)\]\.roles", finding.field)
        if match is None:
            return []
        roles = raw[int(match.group(1))].get("roles") or []
        where = f"{prefix}{finding.field}"
        return [
            bad
            for k, role in enumerate(roles)
            for bad in validate_roles([role], f"{where}[{k}]").errors
        ]

    def basic(self, raw: Any, path: str) -> BasicSpec | None:
        if raw is None:
            return None
        item = self.mapping(raw, path, _BASIC_KEYS, "basic")
        if item is None:
            return None
        ip_acl: tuple[str, ...] | None = None
        if item.get("ip_acl") is not None:
            where = _key(path, "ip_acl")
            if not isinstance(item["ip_acl"], list):
                self.error(where, "ip_acl must be a list.")
            else:
                acl = self.checked(
                    validate_prefix_list(item["ip_acl"], where, self.limits, required=False)
                )
                ip_acl = None if acl is None else tuple(acl)
        passwords: dict[str, str] = {}
        raw_passwords = item.get("passwords")
        if raw_passwords is not None:
            where = _key(path, "passwords")
            given = self.mapping(raw_passwords, where, BASIC_ACCOUNTS, "passwords")
            for kind in BASIC_ACCOUNTS:
                if given is not None and given.get(kind) is not None:
                    problems = validate_basic_password(given[kind], fld=_key(where, kind))
                    self.findings.extend(problems)
                    if not problems:
                        passwords[kind] = given[kind]
        return BasicSpec(ip_acl, passwords)

    def zone(self, items: list[Any]) -> tuple[ZoneSpec, ...]:
        out: list[ZoneSpec] = []
        seen: dict[str, str] = {}
        for i, raw in enumerate(items):
            path = _index("zone", i)
            item = self.mapping(raw, path, _ZONE_KEYS, "A zone item")
            if item is None:
                continue
            before = len(self.findings)
            name = self.checked(validate_domain_name(item.get("name"), _key(path, "name")))
            organisation = self.text(item, "organisation", path, required=True)
            records = self.records(item.get("records"), _key(path, "records"))
            if name is not None:
                self.first_of(seen, name, _key(path, "name"), "The name")
            if not any(f.severity == "error" for f in self.findings[before:]):
                out.append(ZoneSpec(path, name, organisation, records))  # type: ignore[arg-type]
        return tuple(out)

    def records(self, raw: Any, path: str) -> tuple[TlsaRecord, ...]:
        if not isinstance(raw, list):
            self.error(
                path,
                "records must be a list of records written “usage selector matching-type data”.",
            )
            return ()
        out: list[TlsaRecord] = []
        seen: dict[str, str] = {}
        for j, text in enumerate(raw):
            where = _index(path, j)
            parts = text.split() if isinstance(text, str) else []
            if len(parts) < 4:
                self.error(
                    where,
                    "Write a record as “usage selector matching-type data”, "
                    "e.g. “3 1 1 <64 hex digits>”.",
                )
                continue
            checked = validate_record(parts[0], parts[1], parts[2], "".join(parts[3:]))
            self.findings.extend(Finding(where, f.message, f.severity) for f in checked.findings)
            record = checked.value
            if record is None:
                continue
            key = f"{record.usage} {record.selector} {record.matching_type} {record.data_hex}"
            if self.first_of(seen, key, where, "The record"):
                out.append(record)
        return tuple(out)

    def certificates(self, raw: Any, kinds: dict[str, str]) -> CertificatesSpec | None:
        item = self.mapping(raw, "certificates", _CERTIFICATES_KEYS, "certificates")
        if item is None:
            return None
        folder = self.text(item, "folder", "certificates", required=True)
        items = item.get("items")
        if not isinstance(items, list):
            self.error("certificates.items", "items must be a list of certificates.")
            return None
        out: list[CertificateSpec] = []
        seen: dict[str, str] = {}
        for i, one in enumerate(items):
            spec = self.certificate(one, _index("certificates.items", i), seen)
            if spec is not None:
                out.append(spec)
        return None if folder is None else CertificatesSpec(folder, tuple(out))

    def certificate(self, raw: Any, path: str, seen: dict[str, str]) -> CertificateSpec | None:
        item = self.mapping(raw, path, _CERTIFICATE_KEYS, "A certificate")
        if item is None:
            return None
        before = len(self.findings)
        name = self.text(item, "name", path, required=True)
        if name is not None and not FILE_STEM.match(name):
            self.error(
                _key(path, "name"),
                "name is a file stem: letters, digits, “.”, “_” and “-”, starting with a letter "
                "or digit, at most 100 characters.",
            )
        elif name is not None:
            self.first_of(seen, name, _key(path, "name"), "The certificate name")
        domain_name = self.by_workbench(
            lambda: cw.subject_names(item.get("domain_name"))[0], _key(path, "domain_name")
        )
        key_type = item.get("key_type", cw.DEFAULT_KEY_TYPE)
        if key_type not in cw.KEY_TYPES:
            self.error(
                _key(path, "key_type"), f"key_type must be one of {', '.join(cw.KEY_TYPES)}."
            )
        issuer = item.get("issuer", "self")
        if issuer not in cw.ISSUERS:
            self.error(_key(path, "issuer"), f"issuer must be one of {', '.join(cw.ISSUERS)}.")
        days = item.get("days", cw.DEFAULT_DAYS)
        if isinstance(days, bool) or not isinstance(days, int):
            self.error(_key(path, "days"), "days must be a whole number.")
        else:
            self.by_workbench(lambda: cw.validity(days), _key(path, "days"))
        publish = item.get("publish", False)
        if not isinstance(publish, bool):
            self.error(_key(path, "publish"), "publish must be true or false.")
        organisation = self.text(item, "organisation", path, required=False)
        if (
            organisation is None
            and "organisation" not in item
            and (issuer == "harness" or publish is True)
        ):
            self.error(
                _key(path, "organisation"),
                "organisation is required to publish the record or have the harness CA issue: "
                "the organisation on whose behalf it is done.",
            )
        if any(f.severity == "error" for f in self.findings[before:]):
            return None
        return CertificateSpec(
            path, name, domain_name, key_type, issuer, days, publish, organisation
        )  # type: ignore[arg-type]

    def by_workbench(self, check: Callable[[], Any], path: str) -> Any:
        """A workbench rule's value, or its findings placed at `path`."""
        try:
            return check()
        except cw.WorkbenchError as exc:
            self.findings.extend(Finding(path, f.message, f.severity) for f in exc.findings)
            return None


def check_document(data: Any, limits: Limits | None = None) -> Checked[SeedDocument]:
    """The document as typed values, or None with every error (and any warnings and notes),
    each at its path in the document."""
    checker = _Checker(limits or Limits())
    doc = checker.mapping(data, "", _TOP_KEYS, "The seed document")
    if doc is None:
        return Checked(None, checker.findings)
    version = doc.get("version")
    if "version" not in doc:
        checker.error("version", f"version is required: write version: {SEED_VERSION}.")
    elif isinstance(version, bool) or version != SEED_VERSION:
        checker.error("version", f"version must be {SEED_VERSION} (the only version there is).")
    organisations = checker.section(doc, "organisations")
    users = checker.section(doc, "users")
    tlds = checker.section(doc, "tlds")
    zone = checker.section(doc, "zone")
    out = SeedDocument(
        organisations=None if organisations is None else checker.organisations(organisations),
        users=None if users is None else checker.users(users),
    )
    kinds = out.declared_kinds()
    result = SeedDocument(
        organisations=out.organisations,
        users=out.users,
        tlds=None if tlds is None else checker.tlds(tlds, kinds),
        zone=None if zone is None else checker.zone(zone),
        certificates=None
        if doc.get("certificates") is None
        else checker.certificates(doc["certificates"], kinds),
    )
    if any(f.severity == "error" for f in checker.findings):
        return Checked(None, checker.findings)
    return Checked(result, checker.findings)
