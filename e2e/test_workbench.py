"""The certificate workbench in a real browser: generate a credential, download its PKCS#12,
see the snippets, publish the TLSA record."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from playwright.sync_api import Page, expect

from e2e.conftest import OPERATOR, login


def test_generate_download_pkcs12_and_snippets(page: Page, tmp_path) -> None:
    login(page, OPERATOR)
    page.goto("/workbench")
    page.get_by_test_id("wb-domain").fill("browser.phonetic.e2e.example")
    page.get_by_test_id("wb-issuer-harness").check()
    page.get_by_test_id("wb-p12-password").fill("p12 secret")
    page.get_by_test_id("wb-generate").click()
    result = page.get_by_test_id("wb-generated")
    expect(result).to_be_visible()
    expect(result).to_contain_text("shown this once")
    expect(page.get_by_test_id("snippet-curl")).to_contain_text(
        "--cert-type P12 --cert browser.phonetic.e2e.example.p12"
    )
    expect(page.get_by_test_id("snippet-python")).to_contain_text("requests.get")
    expect(page.get_by_test_id("snippet-playwright")).to_contain_text("client_certificates")
    with page.expect_download() as info:
        page.get_by_test_id("download-p12").click()
    download = info.value
    assert download.suggested_filename == "browser.phonetic.e2e.example.p12"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    key, cert, chain = pkcs12.load_key_and_certificates(target.read_bytes(), b"p12 secret")
    assert key is not None and len(chain) == 1
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["browser.phonetic.e2e.example"]
    page.get_by_test_id("wb-publish").click()
    expect(page.get_by_test_id("wb-zone")).to_contain_text("holds 1 record(s)")
    expect(page.get_by_test_id("wb-zone")).to_contain_text("IN TLSA 3 1 1")


def test_bad_input_shows_what_is_wrong(page: Page) -> None:
    login(page, OPERATOR)
    page.goto("/workbench")
    page.get_by_test_id("wb-domain").fill("not a name")
    page.get_by_test_id("wb-generate").click()
    expect(page.get_by_test_id("wb-errors")).to_contain_text("Nothing was made or stored")
