"""The snippets the workbench shows with a new credential: curl, Python requests, Playwright and
an RRI upload, each working when pasted as is in the folder holding the downloaded files.

They trust the harness CA (downloaded as `harness-ca.pem`, the mocks' server certificates are
issued by it) rather than turning verification off; they send the chain file when the harness
CA issued the certificate; and they ask for the secret the user chose (the key's passphrase, or
the PKCS#12 password when a PKCS#12 was made) instead of printing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

CA_FILE = "harness-ca.pem"
TLD_PLACEHOLDER = "<tld>"
RRI_KIND = "registry-functions-activity"


@dataclass(frozen=True)
class Files:
    """The files of a credential as the workbench names its downloads."""

    domain_name: str
    chain: bool = False  # the harness CA issued it: <name>-chain.pem holds leaf then CA
    key_encrypted: bool = False
    pkcs12: bool = False

    @property
    def certificate(self) -> str:
        return f"{self.domain_name}-chain.pem" if self.chain else f"{self.domain_name}.pem"

    @property
    def key(self) -> str:
        return f"{self.domain_name}.key"

    @property
    def p12(self) -> str:
        return f"{self.domain_name}.p12"


@dataclass(frozen=True)
class Target:
    """Where the snippets call: the mocks' base URLs and the TLD."""

    mosapi_url: str
    rri_url: str
    tld: str | None = None  # None: the snippets say <tld>

    @property
    def tld_text(self) -> str:
        return self.tld or TLD_PLACEHOLDER

    @property
    def mosapi_origin(self) -> str:
        return self.mosapi_url.rstrip("/")

    @property
    def state_url(self) -> str:
        return f"{self.mosapi_origin}/ry/{self.tld_text}/v2/monitoring/state"

    def rri_upload_url(self, month: str) -> str:
        return f"{self.rri_url.rstrip('/')}/report/{RRI_KIND}/{self.tld_text}/{month}"


def last_month(today: date | None = None) -> str:
    """The most recent month that has ended, as RRI names a monthly report (YYYY-MM)."""
    today = today or datetime.now(UTC).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _curl_credential(files: Files) -> tuple[list[str], str]:
    """Lines to run first (asking for the secret) and curl's credential options."""
    if files.pkcs12:
        ask = ["read -rsp 'PKCS#12 password: ' P12_PASSWORD; echo"]
        return ask, f'--cert-type P12 --cert {files.p12} --pass "$P12_PASSWORD"'
    options = f"--cert {files.certificate} --key {files.key}"
    if files.key_encrypted:
        ask = ["read -rsp 'Key passphrase: ' KEY_PASSPHRASE; echo"]
        return ask, f'{options} --pass "$KEY_PASSPHRASE"'
    return [], options


def curl(files: Files, target: Target) -> str:
    ask, credential = _curl_credential(files)
    return "\n".join([*ask, f"curl -sS -i --cacert {CA_FILE} {credential} {target.state_url}"])


def rri_upload(files: Files, target: Target, month: str) -> str:
    ask, credential = _curl_credential(files)
    report = f"{RRI_KIND}-{month}.csv"
    return "\n".join(
        [
            f"# {report}: your Registry Functions Activity report for {month} (CSV)",
            *ask,
            f"curl -sS -i --cacert {CA_FILE} {credential} \\",
            f'  -X PUT -H "Content-Type: text/csv" --data-binary @{report} \\',
            f"  {target.rri_upload_url(month)}",
        ]
    )


def python_requests(files: Files, target: Target) -> str:
    show = [
        'print(r.status_code, r.headers.get("X-TLSAuth-Decision"))',
        "print(r.text[:500])",
    ]
    if not files.key_encrypted:
        return "\n".join(
            [
                "import requests",
                "",
                "r = requests.get(",
                f'    "{target.state_url}",',
                f'    cert=("{files.certificate}", "{files.key}"),',
                f'    verify="{CA_FILE}",',
                ")",
                *show,
            ]
        )
    # requests takes no key passphrase: an adapter loads the key into an SSL context.
    return "\n".join(
        [
            "import getpass",
            "import ssl",
            "",
            "import requests",
            "from requests.adapters import HTTPAdapter",
            "",
            "",
            "class ClientCertificate(HTTPAdapter):",
            "    def init_poolmanager(self, *args, **kwargs):",
            f'        context = ssl.create_default_context(cafile="{CA_FILE}")',
            "        context.load_cert_chain(",
            f'            "{files.certificate}",',
            f'            "{files.key}",',
            '            password=getpass.getpass("Key passphrase: "),',
            "        )",
            '        kwargs["ssl_context"] = context',
            "        super().init_poolmanager(*args, **kwargs)",
            "",
            "",
            "session = requests.Session()",
            'session.mount("https://", ClientCertificate())',
            f'r = session.get("{target.state_url}", verify="{CA_FILE}")',
            *show,
        ]
    )


def playwright(files: Files, target: Target) -> str:
    if files.pkcs12:
        credential = [
            f'"pfxPath": "{files.p12}",',
            '"passphrase": getpass.getpass("PKCS#12 password: "),',
        ]
    else:
        credential = [f'"certPath": "{files.certificate}",', f'"keyPath": "{files.key}",']
        if files.key_encrypted:
            credential.append('"passphrase": getpass.getpass("Key passphrase: "),')
    asks = files.pkcs12 or files.key_encrypted
    imports = ["import getpass", "import os"] if asks else ["import os"]
    return "\n".join(
        [
            *imports,
            "",
            "from playwright.sync_api import sync_playwright",
            "",
            "# Playwright's driver checks the mock's server certificate: trust the harness CA.",
            f'os.environ["NODE_EXTRA_CA_CERTS"] = os.path.abspath("{CA_FILE}")',
            "with sync_playwright() as p:",
            "    api = p.request.new_context(client_certificates=[{",
            f'        "origin": "{target.mosapi_origin}",',
            *(f"        {line}" for line in credential),
            "    }])",
            f'    r = api.get("{target.state_url}")',
            '    print(r.status, r.headers.get("x-tlsauth-decision"))',
            "    print(r.text()[:500])",
            "    api.dispose()",
        ]
    )


def snippets(files: Files, target: Target, month: str | None = None) -> dict[str, str]:
    return {
        "curl": curl(files, target),
        "python": python_requests(files, target),
        "playwright": playwright(files, target),
        "rri": rri_upload(files, target, month or last_month()),
    }
