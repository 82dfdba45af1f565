"""The hub, as the services see it: two small interfaces, the real adapters and an in-memory lister.

* :class:`Inspector` inspects one model at one revision (the real one is
  :func:`hub_inspector`, over ``compliance.hub.inspect.inspect_hub``).
* :class:`ModelLister` lists the models of a scan target as a stream of :class:`ListedModel`;
  the hub adapter pages through the hub's listing and yields as it goes, so a scan of a
  100,000-model organisation holds one page in memory. :class:`StaticLister` serves a fixed
  list (tests, demos, offline runs).

Scans and checks take these as parameters, so tests pass fakes and no test touches a network.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from compliance.facts.model import Fact
from compliance.inspection import Inspection
from compliance.settings import Settings

if TYPE_CHECKING:
    from compliance.provenance.ports import KnownStore


@dataclass(frozen=True, slots=True)
class ListedModel:
    """One model as the hub's listing shows it.

    ``sha`` is what makes rescans incremental: a model listed without one is inspected on
    every scan. The hub lists ``sha`` with ``expand=sha`` (or ``full=true``).
    """

    model_id: str
    sha: str | None
    last_modified: datetime | None = None
    author: str | None = None
    gated: bool | None = None
    private: bool | None = None


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """What to list: ``kind`` is ``author``, ``search`` or ``models``; ``values`` holds the
    author, the search text, or the model ids."""

    kind: str
    values: tuple[str, ...]


class ModelLister(Protocol):
    """Lists a target's models, lazily, in the hub's order."""

    def __call__(self, target: TargetSpec) -> Iterable[ListedModel]: ...


class Inspector(Protocol):
    """Inspects one hub model at ``revision`` (a branch, tag or commit; None for the default)."""

    def __call__(
        self,
        model_id: str,
        *,
        revision: str | None,
        declared: Sequence[Fact],
        settings: Settings,
        use_exact: bool,
    ) -> Inspection: ...


def hub_inspector(
    model_id: str,
    *,
    revision: str | None,
    declared: Sequence[Fact],
    settings: Settings,
    use_exact: bool,
    known_store: KnownStore | None = None,
) -> Inspection:
    """Inspect a model on the hub named by ``settings`` (the production :class:`Inspector`);
    ``known_store`` adds the fingerprints of models seen before to the shipped index."""
    return _inspect_on_hub(
        model_id, revision, declared, settings, use_exact, cache_writes=True, known_store=known_store
    )


def sweep_inspector(
    model_id: str,
    *,
    revision: str | None,
    declared: Sequence[Fact],
    settings: Settings,
    use_exact: bool,
    known_store: KnownStore | None = None,
) -> Inspection:
    """:func:`hub_inspector` for registry scans: reads the local hub cache but does not fill it.

    A sweep reads every model of a registry once per commit; writing each one's description,
    card and config to the cache (four files and their folders) cost about a fifth of a scan
    worker's time, for answers that are seldom asked again at the same commit.
    """
    return _inspect_on_hub(
        model_id, revision, declared, settings, use_exact, cache_writes=False, known_store=known_store
    )


def _inspect_on_hub(
    model_id: str,
    revision: str | None,
    declared: Sequence[Fact],
    settings: Settings,
    use_exact: bool,
    *,
    cache_writes: bool,
    known_store: KnownStore | None = None,
) -> Inspection:
    from compliance.hub.inspect import inspect_hub
    from compliance.inspection import catalog_peak_lookup
    from compliance.targets import Target

    target = Target(model_id=model_id, revision=revision)
    inspection: Inspection = inspect_hub(
        target,
        settings,
        declared=list(declared),
        peak_lookup=catalog_peak_lookup(),
        use_exact=use_exact,
        cache_writes=cache_writes,
        known_store=known_store,
        read_config=cache_writes,  # a sweep, which fills no cache, reads no config it does not need
    )
    return inspection


class StaticLister:
    """A :class:`ModelLister` over a fixed list of models.

    ``author`` targets match the ``author/`` prefix, ``search`` targets a case-insensitive
    substring of the id, ``models`` targets the listed ids. ``calls`` counts listings.
    """

    def __init__(self, models: Iterable[ListedModel]) -> None:
        self.models = list(models)
        self.calls = 0

    def __call__(self, target: TargetSpec) -> Iterator[ListedModel]:
        """Yield the matching models one at a time."""
        self.calls += 1
        for model in self.models:
            if _matches(target, model.model_id):
                yield model


def _matches(target: TargetSpec, model_id: str) -> bool:
    if target.kind == "author":
        return any(model_id.split("/", 1)[0].lower() == v.lower() for v in target.values)
    if target.kind == "search":
        return any(v.lower() in model_id.lower() for v in target.values)
    return model_id in target.values
