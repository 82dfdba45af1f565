"""Bases of a model outside the hub: a local directory or uploaded files whose card names one.

A directory about to be published is usually a fine-tune: its card says ``base_model:`` and its
own figures describe the modification alone. Its cumulative training compute needs the base's,
which is read here exactly as a hub check reads a model's bases: the same client (endpoint,
token, offline mode, disk cache), one time budget per check, the same session memo, the same
depth limit and cycle detection (:class:`compliance.hub.lineage.Walker`).

What cannot be read is not an error: an unreachable hub, an offline cache that lacks the base
or a base that does not exist leave the base's compute unknown, a lineage row and a warning say
why, and :func:`compliance.estimate.compute.estimate_compute` then reports the cumulative
compute as unknown (with the model's own estimate as a floor).

Only :func:`look_up_bases` is used by :mod:`compliance.inspection` callers, and only when a
base is named, so a local check of a model that names none never imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from compliance.errors import ComplianceError
from compliance.estimate.compute import PeakLookup
from compliance.facts.model import Fact
from compliance.hub.build import BaseFacts, adapter_parameters, inherited_facts
from compliance.hub.client import HubClient
from compliance.hub.errors import describe
from compliance.hub.lineage import (
    HubSession,
    Node,
    Walker,
    artefacts_fingerprint,
    choose_base_compute,
    missing_entry,
    named_bases,
)
from compliance.inspection import Artefacts, BaseLineage
from compliance.settings import Settings


def look_up_bases(
    model_id: str,
    art: Artefacts,
    declared: Sequence[Fact],
    settings: Settings,
    *,
    peak_lookup: PeakLookup | None = None,
    session: HubSession | None = None,
    cache_dir: Path | None = None,
    cache_writes: bool = True,
    client: HubClient | None = None,
) -> BaseLineage:
    """Inspect on the hub of ``settings`` the bases that ``declared`` or the card of ``art`` name.

    Returns the compute to inherit, the facts a model with this relation inherits, the lineage
    rows (depth 1 is the named base), warnings, and the hub files read. ``session``,
    ``cache_dir``, ``cache_writes`` and ``client`` are as for
    :func:`compliance.hub.inspect.inspect_hub`.
    """
    card_facts = list(art.card.facts) if art.card is not None else []
    bases, relation, warnings = named_bases([*declared, *card_facts, *art.extra_facts], label=model_id)
    found = BaseLineage(warnings=warnings)
    if not bases:
        return found
    try:
        hub = client or HubClient(settings, cache_dir=cache_dir, cache_writes=cache_writes)
    except ComplianceError as exc:
        # No client at all (an unusable endpoint, an unwritable cache): every base stays unknown.
        note = f"base model not inspected: {describe(exc)}"
        found.lineage = [missing_entry(b, depth=1, relation=relation, note=note) for b in bases]
        found.warnings.append(f"{model_id}: {note}")
        found.unknown_compute = _unknown_warning(model_id, bases, offline=settings.hub_offline)
        return found
    walker = Walker.start(hub, settings, session, peak_lookup=peak_lookup)
    node = Node(model_id, None, None, None, relation=relation, bases=bases, fp=artefacts_fingerprint(art))
    parents = walker.follow(node)
    found.lineage = node.lineage
    found.warnings.extend(node.warnings)
    found.files_read = [*walker.described, *walker.gatherer.files]
    found.bytes_read = walker.gatherer.nbytes
    found.base_compute = choose_base_compute(parents, relation, hub.endpoint)
    base = parents[0] if len(parents) == 1 else None
    base_facts = None
    if base is not None and base.facts is not None:
        sha = base.info.sha if base.info is not None else None
        base_facts = BaseFacts(base.model_id, sha, f"{hub.endpoint}/{base.model_id}", base.facts)
    found.inherited = inherited_facts(relation, base_facts)
    if relation == "adapter":
        own_total = art.headers.total if art.headers is not None else None
        summed = adapter_parameters(own_total, base_facts)
        if summed is not None:
            found.first.append(summed)
    if found.base_compute is None:
        found.unknown_compute = _unknown_warning(model_id, bases, offline=hub.offline, read=bool(parents))
    return found


def _unknown_warning(model_id: str, bases: list[str], *, offline: bool, read: bool = False) -> str:
    named = ", ".join(bases)
    if read:
        why = f"the training compute of {named} is unknown (neither its card nor its files give it)"
    elif offline:
        why = f"{named} could not be read in offline mode (only the local hub cache is consulted)"
    else:
        why = f"{named} could not be read from the hub"
    remedy = "check once online, or declare" if offline and not read else "declare"
    return (
        f"{model_id}: cumulative training compute unknown: {why}; the findings that depend on it are "
        f"uncertain ({remedy} base_model_compute_flop or training_compute_flop)"
    )
