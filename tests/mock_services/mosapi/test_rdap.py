"""The mock MoSAPI's registrar RDAP base URL list."""

from __future__ import annotations

from datetime import timedelta

from mock_services.mosapi.rdap import rdap_base_urls

from .data_samples import NOW, REF


def test_same_inputs_give_equal_outputs() -> None:
    assert rdap_base_urls(NOW) == rdap_base_urls(NOW)


def test_rdap_base_urls_shape() -> None:
    body = rdap_base_urls(NOW)
    assert body["version"] == "1.0"
    assert body["publication"] == "2025-06-15T00:00:00Z"
    assert isinstance(body["description"], str) and body["description"]
    assert body["lastUpdateApiDatabase"] == REF
    assert body["services"]
    seen: set[str] = set()
    for ids, urls in body["services"]:
        assert ids and all(isinstance(x, str) and x.isdigit() for x in ids)
        assert urls and all(u.startswith("https://") and u.endswith("/") for u in urls)
        assert not seen & set(ids)
        seen |= set(ids)
    assert any(len(ids) > 1 for ids, _ in body["services"])
    later = rdap_base_urls(NOW + timedelta(days=1))
    assert later["services"] == body["services"]
    assert later["publication"] == "2025-06-16T00:00:00Z"
