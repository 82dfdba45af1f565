"""The registry lister the scans use: a hub's model listing, streamed page by page.

``compliance.hub`` inspects one model; listing a target (an author, a search, a list of ids)
is a different request, so it lives here, as the production
:class:`~compliance.services.ports.ModelLister`. It asks ``GET /api/models`` for only the
fields a scan compares (``sha``, ``lastModified``, ``gated``, ``private``, ``author``) and
follows the ``Link: <...>; rel="next"`` header, yielding each model as soon as its page
arrives: a scan of a 100,000-model organisation holds one page in memory.

A ``models`` target has no listing request on the hub; each id is described with one
``model_info`` call restricted to the same fields, so an unchanged model still costs no
inspection.

Errors are the project's: a 429 is :class:`~compliance.errors.RateLimited` (with the hub's
``Retry-After``), a 5xx, timeout or refused connection :class:`~compliance.errors.HubError`
(both resumable by running the scan again), 401/403 :class:`~compliance.errors.AccessDenied`
and 404 :class:`~compliance.errors.ModelNotFound` (both fail the scan: retrying will not help).
A model of a ``models`` target that does not exist is yielded without a sha, so its item
fails with the inspection's own "not found" message and the scan goes on. The token is only
ever sent to the configured endpoint: a ``next`` link to another host is refused.

:class:`FollowLister` serves a scan's extra runners: they replay the lead runner's listing
from the database instead of asking the hub again.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from compliance.errors import AccessDenied, HubError, ModelNotFound, RateLimited
from compliance.services.ports import ListedModel, TargetSpec
from compliance.settings import Settings

FIELDS = ("sha", "lastModified", "gated", "private", "author")
MAX_PAGE_BYTES = 64 * 1024 * 1024
FOLLOW_STALE_SECONDS = 120.0  # a follower waits this long for a silent lead before giving up
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(slots=True)
class HubLister:
    """Lists scan targets on the hub at ``endpoint``; ``requests`` counts the requests made."""

    endpoint: str
    token: str | None = None
    timeout: float = 30.0
    requests: int = 0
    _origin: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.endpoint = self.endpoint.rstrip("/")
        parts = urllib.parse.urlsplit(self.endpoint)
        self._origin = f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def from_settings(cls, settings: Settings) -> HubLister:
        """A lister for the hub and token the settings name."""
        return cls(settings.hf_endpoint, settings.hf_token, timeout=max(settings.hub_timeout, 30.0))

    def __call__(self, target: TargetSpec) -> Iterator[ListedModel]:
        """Yield the target's models in the hub's order."""
        if target.kind == "models":
            for model_id in target.values:
                yield self._describe(model_id)
            return
        params: list[tuple[str, str]] = [("author" if target.kind == "author" else "search", v) for v in target.values]
        params += [("expand[]", name) for name in FIELDS]
        url: str | None = f"{self.endpoint}/api/models?{urllib.parse.urlencode(params)}"
        while url is not None:
            body, headers = self._get(url)
            if not isinstance(body, list):
                raise HubError("the hub's model listing is not a list", source=url)
            for entry in body:
                listed = _listed(entry)
                if listed is not None:
                    yield listed
            url = self._next(headers.get("Link"))

    def _describe(self, model_id: str) -> ListedModel:
        quoted = urllib.parse.quote(model_id, safe="/")
        query = urllib.parse.urlencode([("expand[]", name) for name in FIELDS])
        try:
            body, _ = self._get(f"{self.endpoint}/api/models/{quoted}?{query}")
        except ModelNotFound:  # also AccessDenied: the item's inspection reports it properly
            return ListedModel(model_id=model_id, sha=None)
        return _listed(body) or ListedModel(model_id=model_id, sha=None)

    def _next(self, link: str | None) -> str | None:
        match = _NEXT.search(link or "")
        if match is None:
            return None
        url = urllib.parse.urljoin(self.endpoint + "/", match.group(1))
        parts = urllib.parse.urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self._origin:
            raise HubError(f"the hub's next page is on another host ({parts.netloc}); refused", source=self.endpoint)
        return url

    def _get(self, url: str) -> tuple[Any, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # the configured hub only
                data = response.read(MAX_PAGE_BYTES + 1)
                headers = response.headers
        except urllib.error.HTTPError as exc:
            error = _translate(exc, url)
            exc.close()  # the error carries the open response; release its socket
            raise error from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise HubError(f"cannot reach the hub: {getattr(exc, 'reason', exc)}", source=url) from None
        if len(data) > MAX_PAGE_BYTES:
            raise HubError(f"a listing page is larger than {MAX_PAGE_BYTES} bytes", source=url)
        try:
            return json.loads(data), headers
        except ValueError:
            raise HubError("the hub did not answer JSON", source=url) from None


def _translate(exc: urllib.error.HTTPError, url: str) -> HubError | ModelNotFound:
    from compliance.hub.errors import retry_after_seconds

    code = exc.code
    if code == 429:
        return RateLimited(
            "the hub is rate limiting requests", retry_after=retry_after_seconds(dict(exc.headers.items())), source=url
        )
    if code == 404:
        return ModelNotFound("not found on the hub", source=url)
    if code in (401, 403):
        return AccessDenied(f"the hub refused the listing ({code}); check the token", source=url)
    return HubError(f"the hub answered {code}", source=url)


def _listed(entry: Any) -> ListedModel | None:
    if not isinstance(entry, dict):
        return None
    model_id = entry.get("id") or entry.get("modelId")
    if not isinstance(model_id, str) or not model_id:
        return None
    sha = entry.get("sha")
    gated = entry.get("gated")
    private = entry.get("private")
    author = entry.get("author")
    return ListedModel(
        model_id=model_id,
        sha=sha if isinstance(sha, str) and sha else None,
        last_modified=_date(entry.get("lastModified")),
        author=author if isinstance(author, str) else None,
        gated=bool(gated) if gated is not None else None,
        private=private if isinstance(private, bool) else None,
    )


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class LeadGone(HubError):
    """The runner that lists the scan stopped before the listing finished (a follower gives up)."""


@dataclass(slots=True)
class FollowLister:
    """A lister for a scan's extra runners: it replays what the lead runner listed, with no hub request.

    Every runner of a scan would otherwise read the whole listing from the hub itself. A
    follower yields the scan's items in the order the lead stored them, waits for more while the
    lead is still listing, and ends once the lead marked the listing finished. If no lead runner
    of the scan holds a lease for :data:`FOLLOW_STALE_SECONDS` (it died and none replaced it),
    it raises :class:`LeadGone`: its task ends, and the recovery sends a new lead.
    """

    session_factory: Any
    scan_id: int
    poll: float = 0.2
    stale_after: float | None = None  # default FOLLOW_STALE_SECONDS
    # Called while waiting for the lead; raises to stop (set by the scan runner to its lease check).
    stop_check: Callable[[], None] | None = None

    def __call__(self, target: TargetSpec) -> Iterator[ListedModel]:
        """Yield the lead's listing as it grows."""
        import time

        from sqlmodel import col, select

        from compliance.services.runners import live_lead
        from compliance.storage.db import session_scope
        from compliance.storage.tables import ScanItemRow, ScanRow

        after = 0
        limit = FOLLOW_STALE_SECONDS if self.stale_after is None else self.stale_after
        lead_seen = time.monotonic()
        while True:
            with session_scope(self.session_factory) as session:
                scan = session.get(ScanRow, self.scan_id)
                listed = scan is not None and scan.listed_at is not None
                leading = scan is not None and live_lead(session, self.scan_id)
                rows = session.exec(
                    select(ScanItemRow.id, ScanItemRow.model_id, ScanItemRow.sha, ScanItemRow.last_modified)
                    .where(col(ScanItemRow.scan_id) == self.scan_id, col(ScanItemRow.id) > after)
                    .order_by(col(ScanItemRow.id))
                    .limit(1000)
                ).all()
            for item_id, model_id, sha, modified in rows:
                after = max(after, item_id or 0)
                yield ListedModel(model_id=model_id, sha=sha, last_modified=modified)
            if rows:
                continue
            if listed:
                return
            now = time.monotonic()
            if leading:
                lead_seen = now
            elif now - lead_seen > limit:
                raise LeadGone(f"scan {self.scan_id}: the listing runner stopped", source="scan")
            if self.stop_check is not None:
                self.stop_check()
            time.sleep(self.poll)
