"""Inspect a model on a hub by ID: ``ORG/NAME[@REVISION]``.

One check, one time budget (``settings.hub_budget``): the model's description and the few
files the policy of :mod:`compliance.hub.gather` asks for, then its declared bases up to
``settings.lineage_depth`` levels (:mod:`compliance.hub.lineage`). The resolved commit sha is
recorded in :attr:`ModelRef.sha`, so ``ORG/NAME@SHA`` reproduces the inspection exactly.

Failure modes: a model (or revision) that does not exist or that this token cannot see
raises :class:`~compliance.errors.ModelNotFound` / :class:`~compliance.errors.AccessDenied`
(exit code 3); an unreachable or failing hub raises :class:`~compliance.errors.HubError`.
A gated model whose description is readable is *not* an error: its facts are those the
description gives, the rest are unknown, and a warning says why. Failures to read a base
model become lineage notes and warnings, never errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from compliance.estimate.compute import PeakLookup
from compliance.facts.model import Fact
from compliance.hub.client import HubClient
from compliance.hub.lineage import HubSession, Walker, stored_fingerprint
from compliance.inspection import Inspection, ModelRef
from compliance.settings import Settings
from compliance.targets import Target

TYPE_CHECKING = False
if TYPE_CHECKING:
    from compliance.provenance.ports import KnownStore


def inspect_hub(
    target: Target,
    settings: Settings,
    *,
    declared: Iterable[Fact] = (),
    peak_lookup: PeakLookup | None = None,
    use_exact: bool = False,
    thorough: bool = False,
    references: Sequence[str] = (),
    session: HubSession | None = None,
    cache_dir: Path | None = None,
    cache_writes: bool = True,
    client: HubClient | None = None,
    known_store: KnownStore | None = None,
    read_config: bool = True,
) -> Inspection:
    """Inspect ``target`` (a hub model ID, validated by :func:`compliance.targets.parse_target`).

    ``thorough`` also reads config.json and the safetensors headers (range requests) to
    cross-check the hub's totals; ``references`` are model ids to compare architectures
    against when no base model is declared; ``session`` holds the fingerprint index and
    recently inspected bases (default: one per process). ``client`` lets a caller reuse one
    client (and its request counters) across checks. ``cache_writes`` False reads the local
    cache but does not add to it. ``known_store`` holds the fingerprints of the models the service
    has seen, compared with the model besides the shipped index (none on the command line); with one,
    ``read_config`` False (a registry sweep) keeps the model's config unread unless a match needs it.
    """
    if target.model_id is None:
        raise ValueError("inspect_hub needs a hub model ID, not a local path")
    hub = client or HubClient(settings, cache_dir=cache_dir, cache_writes=cache_writes)
    walker = Walker.start(
        hub,
        settings,
        session,
        peak_lookup=peak_lookup,
        use_exact=use_exact,
        thorough=thorough,
        references=references,
        known_store=known_store,
        read_config=read_config,
    )
    node = walker.inspect(target.model_id, target.revision, declared=list(declared))
    assert node.info is not None and node.facts is not None
    return Inspection(
        model=ModelRef(id=node.model_id, source="hub", revision=target.revision, sha=node.info.sha),
        facts=node.facts,
        lineage=node.lineage,
        warnings=node.warnings,
        files_read=[*walker.described, *walker.gatherer.files],
        bytes_read=walker.gatherer.nbytes,
        fingerprint=stored_fingerprint(node, hub),
    )
