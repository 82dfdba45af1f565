"""The hub lister: pages, fields, ids, and errors translated into the project's."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.errors import AccessDenied, HubError, ModelNotFound, RateLimited
from compliance.services.ports import TargetSpec
from web.worker.listing import HubLister


def test_an_author_is_listed_page_by_page_with_shas(hub: Any) -> None:
    hub.configure(page_size=2)
    lister = HubLister(hub.url)
    models = list(lister(TargetSpec("author", ("meta-llama",))))
    assert len(models) >= 3 and all(m.model_id.startswith("meta-llama/") for m in models)
    assert all(m.sha and len(m.sha) == 40 for m in models)
    assert all(m.last_modified is not None and m.last_modified.tzinfo for m in models)
    pages = hub.log(path="/api/models")
    assert lister.requests == len(pages) == -(-len(models) // 2)
    assert len({m.model_id for m in models}) == len(models)


def test_a_search_and_a_list_of_ids(hub: Any) -> None:
    lister = HubLister(hub.url)
    found = [m.model_id for m in lister(TargetSpec("search", ("llama-3.1",)))]
    assert found and all("llama-3.1" in m.lower() for m in found)
    listed = list(lister(TargetSpec("models", ("meta-llama/Llama-3.1-8B-Instruct", "nobody/missing"))))
    assert [m.model_id for m in listed] == ["meta-llama/Llama-3.1-8B-Instruct", "nobody/missing"]
    assert listed[0].sha is not None and listed[1].sha is None


def test_rate_limit_carries_the_retry_after(hub: Any) -> None:
    hub.fault("/api/models", status=429, headers={"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        list(HubLister(hub.url)(TargetSpec("author", ("meta-llama",))))
    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize(("status", "error"), [(500, HubError), (503, HubError), (401, AccessDenied)])
def test_server_errors_are_translated(hub: Any, status: int, error: type[Exception]) -> None:
    hub.fault("/api/models", status=status)
    with pytest.raises(error):
        list(HubLister(hub.url)(TargetSpec("author", ("meta-llama",))))


def test_a_dropped_connection_is_a_hub_error(hub: Any) -> None:
    hub.fault("/api/models", drop=True)
    with pytest.raises(HubError):
        list(HubLister(hub.url)(TargetSpec("search", ("x",))))


def test_a_next_link_to_another_host_is_refused(hub: Any) -> None:
    hub.fault("/api/models", status=200, headers={"Link": '<http://evil.example/api/models?cursor=1>; rel="next"'},
              body="[]")  # fmt: skip
    with pytest.raises(HubError, match="another host"):
        list(HubLister(hub.url, token="secret")(TargetSpec("author", ("x",))))


def test_a_404_listing_is_not_found(hub: Any) -> None:
    hub.fault("/api/models", status=404)
    with pytest.raises(ModelNotFound):
        list(HubLister(hub.url)(TargetSpec("author", ("x",))))
