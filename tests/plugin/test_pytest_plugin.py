"""The harness's pytest plugin, as a QA engineer's suite uses it: generated test files run by
pytest's own `pytester` in a subprocess (the plugin loaded from its entry point, like anywhere
the package is installed).

One run starts a harness and uses every fixture: a seed, a client certificate and a real mTLS
call to the MoSAPI mock, one from the harness CA to the RRI mock, the reset between tests and
`tlsauth_keep`, a YAML seed file, a signed-in browser and a browser presenting the
certificate; a wrong seed fails naming the path. Another run attaches to a harness started
here, which it must seed, reset and leave running.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from portal.testing.harness import Harness, started

pytest_plugins = ["pytester"]

RUN_TIMEOUT = 420  # one harness start, a browser, a dozen tests

SUITE = """
import copy
import re
import ssl
import http.client

import pytest
import requests
import yaml
from cryptography.hazmat.primitives.serialization import pkcs12
from playwright.sync_api import expect

SEED = {
    "version": 1,
    "organisations": [
        {"name": "Plugin RSP", "kind": "rsp"},
        {"name": "Plugin Registry", "kind": "registry-operator"},
    ],
    "users": [
        {
            "email": "qa@plugin-rsp.example",
            "organisation": "Plugin RSP",
            "password": "plugin password 1",
        }
    ],
    "tlds": [
        {
            "name": "plugintld",
            "operator": "Plugin Registry",
            "rsp": "Plugin RSP",
            "entries": [
                {
                    "domain_name": "client.plugin-rsp.example",
                    "roles": ["mosapi-slam", "rri-monthly-reports"],
                    "ip_acl": ["127.0.0.0/8"],
                }
            ],
        }
    ],
}
NAME = "client.plugin-rsp.example"
STATE = "/ry/plugintld/v2/monitoring/state"
ALLOWED = re.compile(r"^\\d+; allowed tls-client-auth via client\\.plugin-rsp\\.example$")


def get_state(harness, cert):
    return requests.get(
        harness.mosapi_url + STATE, cert=cert.requests, verify=harness.ca_file, timeout=10
    )


def test_seed_then_a_real_mtls_call(tlsauth_harness, tlsauth_seed, tlsauth_client_cert):
    report = tlsauth_seed(SEED)
    assert report["kinds"]["tlds"]["created"] == ["plugintld"]
    cert = tlsauth_client_cert(NAME)
    assert cert.key.stat().st_mode & 0o777 == 0o600
    response = get_state(tlsauth_harness, cert)
    assert response.status_code == 200, response.text
    assert ALLOWED.match(response.headers["X-TLSAuth-Decision"])


def test_the_test_before_was_reset(tlsauth_harness, tlsauth_client_cert):
    response = get_state(tlsauth_harness, tlsauth_client_cert(NAME))
    assert response.status_code == 401
    assert response.headers["X-TLSAuth-Decision"].endswith("; tld-not-configured")


@pytest.mark.tlsauth_keep
def test_kept(tlsauth_seed):
    assert tlsauth_seed(SEED)["changed"] is True


def test_a_yaml_file_finds_what_was_kept(tlsauth_seed, tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(SEED))
    assert tlsauth_seed(path)["changed"] is False


def test_a_certificate_of_the_harness_ca(tlsauth_harness, tlsauth_seed, tlsauth_client_cert):
    tlsauth_seed(SEED)
    cert = tlsauth_client_cert(NAME, key_type="ec-p384", issuer="harness")
    assert cert.cert.read_text().count("BEGIN CERTIFICATE") == 2  # the leaf, then the CA
    key, leaf, chain = pkcs12.load_key_and_certificates(
        cert.p12.read_bytes(), cert.p12_password.encode()
    )
    assert key is not None and leaf is not None and len(chain) == 1
    context = ssl.create_default_context(cafile=str(tlsauth_harness.ca_file))
    context.load_cert_chain(cert.cert, cert.key)
    port = int(tlsauth_harness.rri_url.rsplit(":", 1)[1])
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.request("GET", "/info/status/registry/plugintld")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    assert ALLOWED.match(response.getheader("X-TLSAuth-Decision"))


def test_a_signed_in_browser(tlsauth_seed, tlsauth_signed_in_context):
    tlsauth_seed(SEED)
    context = tlsauth_signed_in_context("qa@plugin-rsp.example", "plugin password 1")
    page = context.new_page()
    page.goto("/tlds/plugintld")
    expect(page.get_by_text(NAME).first).to_be_visible()


def test_a_refused_sign_in_says_so(tlsauth_seed, tlsauth_signed_in_context):
    tlsauth_seed(SEED)
    refused = "did not sign in qa@plugin-rsp.example: Wrong email or password"
    with pytest.raises(AssertionError, match=refused):
        tlsauth_signed_in_context("qa@plugin-rsp.example", "not the password")


def test_a_browser_presenting_the_certificate(
    tlsauth_harness, tlsauth_seed, tlsauth_client_cert, tlsauth_mtls_context
):
    tlsauth_seed(SEED)
    context = tlsauth_mtls_context(tlsauth_client_cert(NAME))
    page = context.new_page()
    response = page.goto(tlsauth_harness.mosapi_url + STATE)
    assert response.status == 200
    assert ALLOWED.match(response.headers["x-tlsauth-decision"])


def test_a_wrong_seed(tlsauth_seed):
    wrong = copy.deepcopy(SEED)
    wrong["tlds"][0]["entries"][0]["ip_acl"] = ["127.0.0.1/8"]
    tlsauth_seed(wrong)
"""

ATTACHED_SUITE = """
import requests

SEED = {
    "version": 1,
    "organisations": [{"name": "Attached Registry", "kind": "registry-operator"}],
    "tlds": [
        {
            "name": "attachedtld",
            "operator": "Attached Registry",
            "entries": [
                {
                    "domain_name": "client.attached.example",
                    "roles": ["mosapi-slam"],
                    "ip_acl": ["127.0.0.1/32"],
                }
            ],
        }
    ],
}


def test_attached(tlsauth_harness, tlsauth_seed, tlsauth_client_cert):
    assert tlsauth_harness.folder is None
    tlsauth_seed(SEED)
    cert = tlsauth_client_cert("client.attached.example", issuer="harness")
    response = requests.get(
        tlsauth_harness.mosapi_url + "/ry/attachedtld/v2/monitoring/state",
        cert=cert.requests,
        verify=tlsauth_harness.ca_file,
        timeout=10,
    )
    assert response.status_code == 200, response.text
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=RUN_TIMEOUT)


def test_a_suite_using_every_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_with_the_harness=SUITE)
    result = _run(pytester, "-v")
    output = result.stdout.str()
    result.assert_outcomes(passed=8, failed=1)
    assert "test_a_wrong_seed FAILED" in output
    # The failure names the path of the error in the document and what is wrong there.
    result.stdout.fnmatch_lines(
        [
            "*SeedRefused: The seed document was refused (422)*",
            "*tlds[[]0].entries[[]0].ip_acl[[]0]: *host bits*",
        ]
    )
    assert "tlsauth harness log" in output  # the failed test's share of the harness's log


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A harness started here, as CI would start one in the background."""
    with started(tmp_path_factory.mktemp("attached-harness")) as running:
        yield running


def test_attaching_to_a_running_harness(
    pytester: pytest.Pytester, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_attached=ATTACHED_SUITE)
    monkeypatch.setenv("TLSAUTH_HARNESS_TOKEN", harness.token)  # secrets: the environment
    result = _run(
        pytester,
        f"--tlsauth-url={harness.portal_url}",
        f"--tlsauth-mosapi-url={harness.mosapi_url}",
        f"--tlsauth-rri-url={harness.rri_url}",
        f"--tlsauth-ca-file={harness.ca_file}",
    )
    result.assert_outcomes(passed=1)
    # It seeded this harness, reset it after the test and left it running.
    tlds = requests.get(
        f"{harness.portal_url}/api/v1/tlds",
        headers={"Authorization": f"Bearer {harness.token}"},
        timeout=10,
    )
    assert tlds.status_code == 200 and tlds.json()["total"] == 0


def test_attaching_needs_a_token_and_the_ca_file(
    pytester: pytest.Pytester, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_attached=ATTACHED_SUITE)
    monkeypatch.delenv("TLSAUTH_HARNESS_TOKEN", raising=False)
    monkeypatch.setenv("TLSAUTH_HARNESS_URL", harness.portal_url)
    result = _run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*Attaching to the harness at {harness.portal_url} also needs --tlsauth-token "
            "($TLSAUTH_HARNESS_TOKEN) and --tlsauth-ca-file ($TLSAUTH_HARNESS_CA_FILE)*"
        ]
    )


def test_without_pytest_playwright_the_browser_fixtures_are_absent(
    pytester: pytest.Pytester,
) -> None:
    result = _run(pytester, "-p", "no:playwright", "--fixtures")
    output = result.stdout.str()
    for fixture in ("tlsauth_harness", "tlsauth_seed", "tlsauth_client_cert", "tlsauth_api"):
        assert fixture in output, fixture
    for fixture in ("tlsauth_signed_in_context", "tlsauth_mtls_context"):
        assert fixture not in output, fixture
    result = _run(pytester, "--help")
    result.stdout.fnmatch_lines(["*--tlsauth-url=TLSAUTH_URL*", "*TLSAUTH_HARNESS_URL*"])
    result = _run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.tlsauth_keep: keep what tlsauth_seed applied*"])
