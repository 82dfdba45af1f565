"""Lineage: follow declared base models up the chain, and look for undeclared ones.

A model card's ``base_model`` (or the hub's ``baseModels``; a list for merges) names what a
model was derived from. Each base is inspected the same way as the model, recursively, up to
``settings.lineage_depth`` levels, with cycle detection; a derived model then receives its
base's training compute (cumulative compute = base + modification) and, for quantizations
and adapters, the facts its own files cannot give. Ids named in cards are hostile input: they
are validated like a user's before any request.

Two checks use architecture fingerprints (:mod:`compliance.hub.fingerprint`):

* a *declared* base whose architecture differs from the model's is flagged (except for
  adapters and merges, where differences are expected). Cheap evidence first: equal
  safetensors totals settle a fine-tune; otherwise both config.json files are read;
* an *undeclared* base: a model that declares none but whose architecture matches exactly a
  model already inspected in this process (or one of the reference ids given) is flagged,
  unless that model derives from this one or is younger than it.

Results for bases are kept for a few minutes per session, so a registry scan or a batch of
checks reads each shared ancestor once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from compliance.errors import ComplianceError, UsageError
from compliance.estimate.compute import PeakLookup
from compliance.facts.model import Evidence, Fact, FactSet
from compliance.hub.build import BaseFacts, build_node_facts
from compliance.hub.client import Budget, HubClient
from compliance.hub.errors import describe
from compliance.hub.fingerprint import (
    Comparison,
    Fingerprint,
    FingerprintIndex,
    IndexEntry,
    compare,
    fingerprint,
    same_architecture,
)
from compliance.hub.gather import Gathered, Gatherer, packed_weights
from compliance.hub.info import MAX_BASES, HubInfo
from compliance.inspection import Artefacts
from compliance.jsonsafe import load_json
from compliance.provenance.known import known_index
from compliance.targets import validate_model_id

if TYPE_CHECKING:
    from compliance.provenance.known import KnownModel
    from compliance.provenance.ports import KnownStore
    from compliance.settings import Settings

RELATIONS = ("finetune", "adapter", "merge", "quantized")
# Relations where the architecture is expected to differ from the base's.
UNCOMPARED = ("adapter", "merge")
MEMO_SECONDS = 300.0
# Candidates for an undeclared base confirmed per model (each may cost a config.json read).
MAX_UNDECLARED_CHECKS = 5
# Bases are re-inspected within minutes of each other in a scan; a few hundred keeps the hits
# and keeps a worker's memory flat however many models a scan covers.
MAX_MEMO = 512


# --- pure helpers ------------------------------------------------------------------------------


def declared_bases(facts: Iterable[Fact], info: HubInfo) -> tuple[list[str], str | None, list[str]]:
    """The valid base-model ids a model declares, its relation to them, and warnings for rejected ids.

    The card's ``base_model`` wins over the hub's ``baseModels``; the relation comes from the
    card (stated or inferred by the card parser), else from the hub, else ``merge`` for
    several bases and ``finetune`` for one.
    """
    return named_bases(facts, label=info.id, fallback=info.base_models, fallback_relation=info.base_relation)


def named_bases(
    facts: Iterable[Fact],
    *,
    label: str,
    fallback: Sequence[str] = (),
    fallback_relation: str | None = None,
) -> tuple[list[str], str | None, list[str]]:
    """The valid base-model ids ``facts`` name (the first ``base_model`` fact wins), the relation
    and warnings for rejected ids; ``fallback`` and ``fallback_relation`` apply when the facts
    name none. ``label`` names the model in warnings.
    """
    by_name: dict[str, Fact] = {}
    for fact in facts:
        by_name.setdefault(fact.name, fact)  # the first statement wins (declared, then card, then hub)
    raw: Any = by_name["base_model"].value if "base_model" in by_name else None
    names = [raw] if isinstance(raw, str) else [n for n in raw if isinstance(n, str)] if isinstance(raw, list) else []
    if not names:
        names = list(fallback)
    relation_fact = by_name.get("base_model_relation")
    relation = relation_fact.value if relation_fact is not None else fallback_relation
    warnings: list[str] = []
    bases: list[str] = []
    for name in names[:MAX_BASES]:
        candidate = name.strip()
        try:
            validate_model_id(candidate)
        except UsageError as exc:
            warnings.append(f"{label}: base model {candidate[:80]!r} ignored: {exc.message}")
            continue
        if candidate not in bases:
            bases.append(candidate)
    if len(names) > MAX_BASES:
        warnings.append(f"{label}: only the first {MAX_BASES} of {len(names)} base models were followed")
    if relation not in RELATIONS:
        relation = ("merge" if len(bases) > 1 else "finetune") if bases else None
    return bases, relation, warnings


def lineage_entry(node: Node, *, depth: int, relation: str | None, note: str | None) -> dict[str, Any]:
    """One row of ``Inspection.lineage`` for an inspected ancestor."""
    facts = node.facts
    compute = facts.get("training_compute_flop") if facts is not None else None
    params = facts.value("parameters") if facts is not None else None
    arch = facts.value("architecture") if facts is not None else None
    return {
        "depth": depth,
        "model": node.model_id,
        "sha": node.info.sha if node.info is not None else None,
        "relation": relation,
        "training_compute_flop": compute.value if compute is not None else None,
        "low": compute.low if compute is not None else None,
        "high": compute.high if compute is not None else None,
        "confidence": compute.confidence.value if compute is not None else "unknown",
        "parameters": params,
        "architecture": arch,
        "note": note,
    }


def missing_entry(model_id: str, *, depth: int, relation: str | None, note: str) -> dict[str, Any]:
    """A lineage row for an ancestor that could not be inspected."""
    return {
        "depth": depth,
        "model": model_id,
        "sha": None,
        "relation": relation,
        "training_compute_flop": None,
        "low": None,
        "high": None,
        "confidence": "unknown",
        "parameters": None,
        "architecture": None,
        "note": note,
    }


def choose_base_compute(bases: Sequence[Node], relation: str | None, endpoint: str) -> Fact | None:
    """The training compute to inherit: the base's, or for a merge the largest of its parents'.

    Parents of a merge usually share one pre-trained ancestor, so adding their compute would
    count it twice; the largest is the defensible floor.
    """
    known = []
    for node in bases:
        fact = node.facts.get("training_compute_flop") if node.facts is not None else None
        if fact is not None and (fact.value is not None or fact.low is not None or fact.high is not None):
            known.append((node, fact))
    if not known:
        return None

    def size(item: tuple[Node, Fact]) -> float:
        fact = item[1]
        return float(fact.value if fact.value is not None else fact.high or fact.low or 0.0)

    node, fact = max(known, key=size)
    at = f"{node.model_id}@{node.info.sha[:12]}" if node.info is not None and node.info.sha else node.model_id
    note = fact.note
    if relation == "merge" and len(bases) > 1:
        extra = f"merge of {len(bases)} models: the largest parent's compute ({node.model_id}) is inherited"
        note = f"{note}; {extra}" if note else extra
    return Fact(
        "training_compute_flop",
        fact.value,
        fact.low,
        fact.high,
        fact.confidence,
        fact.method,
        [
            Evidence("lineage", f"{endpoint}/{node.model_id}", f"training compute of the base model {at}"),
            *fact.evidence,
        ],
        note=note,
    )


def node_fingerprint(got: Gathered) -> Fingerprint:
    """A model's fingerprint from whatever was read: config, headers, the hub's total."""
    info = got.info
    hub_total = info.safetensors_total if info.safetensors_total and not packed_weights(info) else None
    return artefacts_fingerprint(got.art, hub_total=hub_total, names=info.config)


def artefacts_fingerprint(
    art: Artefacts, *, hub_total: int | None = None, names: Mapping[str, Any] | None = None
) -> Fingerprint:
    """A fingerprint from a model's artefacts (local or read from a hub): headers first, then
    ``hub_total`` (the hub's count), then the config's formula count."""
    shapes = None
    total = None
    headers = art.headers
    if headers is not None and headers.total:
        shapes = [t.shape for t in headers.tensors.values()]
        total = None if headers.packed_quantized else int(headers.total)
    if total is None:
        total = hub_total
    if total is None and art.config is not None:
        from compliance.errors import ModelFileError
        from compliance.facts.architectures import count_parameters

        try:
            total = int(count_parameters(art.config).total)
        except (ModelFileError, ValueError, TypeError):
            total = None
    return fingerprint(config=art.config, tensor_shapes=shapes, total=total, names=names)


def _older(candidate: str | None, model: str | None) -> bool:
    # The source of a copy is the earlier model: with either date unknown the direction cannot be told.
    return candidate is not None and model is not None and candidate < model


# --- the walk -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Node:
    """One model as inspected on the hub: its artefacts, facts and (relative) lineage."""

    model_id: str
    revision: str | None
    info: HubInfo | None
    got: Gathered | None
    relation: str | None = None
    bases: list[str] = field(default_factory=list)
    facts: FactSet | None = None
    lineage: list[dict[str, Any]] = field(default_factory=list)  # depths relative to this node
    warnings: list[str] = field(default_factory=list)
    ancestors: set[str] = field(default_factory=set)
    truncated: bool = False  # lineage cut by a cycle or the depth limit: not reusable elsewhere
    fp: Fingerprint = field(default_factory=Fingerprint)
    weights: list[str] = field(default_factory=list)  # the weight files' LFS sha256, when asked for


class HubSession:
    """What outlives one check in a process: the fingerprint index and recently inspected bases."""

    def __init__(self, *, memo_seconds: float = MEMO_SECONDS, index: FingerprintIndex | None = None) -> None:
        self.index = index or FingerprintIndex()
        self.memo_seconds = memo_seconds
        # Least recently used first: eviction and expiry are O(1) at the front.
        self._memo: OrderedDict[tuple[str, ...], tuple[float, Node]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(client: HubClient, model_id: str, revision: str | None) -> tuple[str, ...]:
        """Memo key: hub, token (hashed: what one token sees, another may not), model and revision."""
        return (
            client.endpoint,
            viewer(client),
            model_id,
            revision or "main",
            "offline" if client.offline else "online",
        )

    def recall(self, key: tuple[str, ...]) -> Node | None:
        """A node inspected less than ``memo_seconds`` ago, or None."""
        with self._lock:
            hit = self._memo.get(key)
            if hit is None:
                return None
            if time.monotonic() - hit[0] > self.memo_seconds:
                del self._memo[key]
                return None
            self._memo.move_to_end(key)
            return hit[1]

    def remember(self, key: tuple[str, ...], node: Node) -> None:
        """Keep a complete node for reuse (bounded: least recently used and expired nodes go first)."""
        if node.truncated:
            return
        now = time.monotonic()
        with self._lock:
            self._memo.pop(key, None)
            self._memo[key] = (now, node)
            # The front holds the least recently used nodes: drop them while over the cap or expired
            # (an expired node behind a fresh one waits for recall or the cap; memory stays bounded).
            while self._memo:
                first = next(iter(self._memo))
                if len(self._memo) > MAX_MEMO or now - self._memo[first][0] > self.memo_seconds:
                    del self._memo[first]
                else:
                    break


def viewer(client: HubClient) -> str:
    """Who reads through ``client``, for memory kept across checks (a hash of the token, never stored)."""
    return hashlib.sha256(str(client.token).encode()).hexdigest()[:16]


def index_extra(info: HubInfo, client: HubClient) -> dict[str, Any]:
    """What an index entry needs to be shown only to whom the hub showed the model."""
    return {"gated": info.gated, "private": bool(info.private), "viewer": viewer(client)}


def visible_to(entry: IndexEntry, client: HubClient) -> bool:
    """Whether ``client``'s token may match against ``entry``: a gated or private model's fingerprint
    (read with the files or the description the hub gave one token) is not shown to another."""
    guarded = entry.extra.get("gated") or entry.extra.get("private")
    return not guarded or entry.extra.get("viewer") == viewer(client)


_DEFAULT_SESSION: list[HubSession] = []


def default_session() -> HubSession:
    """The process-wide session (a CLI run, a worker process, a registry scan)."""
    if not _DEFAULT_SESSION:
        _DEFAULT_SESSION.append(HubSession())
    return _DEFAULT_SESSION[0]


class Walker:
    """Inspects a model and its ancestors within one budget."""

    def __init__(
        self,
        client: HubClient,
        budget: Budget,
        session: HubSession,
        *,
        depth_limit: int,
        peak_lookup: PeakLookup | None = None,
        use_exact: bool = False,
        thorough: bool = False,
        references: Sequence[str] = (),
        known_store: KnownStore | None = None,
        read_config: bool = True,
    ) -> None:
        self.client = client
        self.budget = budget
        self.session = session
        self.gatherer = Gatherer(client, budget)
        self.depth_limit = max(0, depth_limit)
        self.peak_lookup = peak_lookup
        self.use_exact = use_exact
        self.thorough = thorough
        self.references = [validate_model_id(r) for r in references]
        self.known_store = known_store  # the service's fingerprints of models it saw (None on the CLI)
        # With a store, read every checked model's config so that its hyper-parameters are kept;
        # a registry sweep does not (a third of its time): a later check reads them when it needs them.
        self.read_config = read_config
        self.described: list[str] = []  # "model@sha (hub description)" for every model_info read

    @classmethod
    def start(
        cls,
        client: HubClient,
        settings: Settings,
        session: HubSession | None = None,
        **options: Any,
    ) -> Walker:
        """A walker with a fresh budget of ``client``, the settings' lineage depth and ``session`` (default:
        the process's); ``options`` are the keyword arguments of the constructor."""
        return cls(
            client, client.new_budget(), session or default_session(), depth_limit=settings.lineage_depth, **options
        )

    # -- one node ---------------------------------------------------------------------------

    def inspect(
        self,
        model_id: str,
        revision: str | None,
        *,
        depth: int = 0,
        path: tuple[str, ...] = (),
        declared: Iterable[Fact] = (),
    ) -> Node:
        """Inspect ``model_id`` and, recursively, its bases. Errors for the model itself propagate."""
        target = depth == 0
        key = HubSession.key(self.client, model_id, revision)
        if not target:
            memo = self.session.recall(key)
            if memo is not None:
                return memo
        info = self.client.model_info(model_id, revision, self.budget)
        self.described.append(f"{model_id}@{(info.sha or revision or 'main')[:12]} (hub description)")
        got = self.gatherer.gather(
            info, revision, thorough=self.thorough and target, use_exact=self.use_exact and target
        )
        node = Node(model_id, revision, info, got)
        node.warnings.extend(got.art.warnings)
        card_facts = list(got.art.card.facts) if got.art.card is not None else []
        node.bases, node.relation, rejected = declared_bases([*card_facts, *got.art.extra_facts], info)
        node.warnings.extend(rejected)
        parents = self._follow_bases(node, depth, (*path, model_id))
        node.fp = node_fingerprint(got)
        if not node.bases and target:
            # Only the checked model: a base met on the walk is not judged against what the session saw.
            self._look_for_undeclared(node)
        base = parents[0] if len(parents) == 1 else None
        facts, warnings = build_node_facts(
            got,
            endpoint=self.client.endpoint,
            relation=node.relation,
            base=_base_facts(base, self.client.endpoint) if base is not None else None,
            base_compute=choose_base_compute(parents, node.relation, self.client.endpoint),
            declared=declared,
            peak_lookup=self.peak_lookup,
            use_exact=self.use_exact and target,
        )
        node.facts = facts
        node.warnings = _dedupe([*node.warnings, *warnings])
        node.fp = node_fingerprint(got)
        if target:
            self._compare_with_known(node)
        self.session.index.add(
            IndexEntry(
                model_id,
                info.sha,
                node.fp,
                tuple(sorted(node.ancestors)),
                info.created_at,
                index_extra(info, self.client),
            )
        )
        self.session.remember(key, node)
        return node

    def follow(self, node: Node) -> list[Node]:
        """Inspect the bases of a model known outside the hub (a local directory): ``node`` holds
        its id, declared bases, relation and fingerprint; its lineage and warnings are filled in.
        Returns the bases that could be inspected."""
        return self._follow_bases(node, 0, (node.model_id,))

    def _follow_bases(self, node: Node, depth: int, path: tuple[str, ...]) -> list[Node]:
        parents: list[Node] = []
        for base_id in node.bases:
            if base_id in path:
                cycle = " → ".join([*path[path.index(base_id) :], base_id])
                note = f"lineage cycle: {cycle}; not followed"
                node.lineage.append(missing_entry(base_id, depth=1, relation=node.relation, note=note))
                node.warnings.append(f"{node.model_id}: {note}")
                node.truncated = True
                continue
            if depth + 1 > self.depth_limit:
                note = f"lineage depth limit ({self.depth_limit}) reached; {base_id} not inspected"
                node.lineage.append(missing_entry(base_id, depth=1, relation=node.relation, note=note))
                node.warnings.append(f"{node.model_id}: {note}")
                node.truncated = True
                continue
            try:
                parent = self.inspect(base_id, None, depth=depth + 1, path=path)
            except ComplianceError as exc:
                note = f"base model not inspected: {describe(exc)}"
                node.lineage.append(missing_entry(base_id, depth=1, relation=node.relation, note=note))
                node.warnings.append(f"{node.model_id}: base model {base_id} could not be inspected: {describe(exc)}")
                continue
            checked = self._check_declared_base(node, parent)
            node.lineage.append(lineage_entry(parent, depth=1, relation=node.relation, note=checked))
            node.lineage.extend({**row, "depth": row["depth"] + 1} for row in parent.lineage)
            node.warnings.extend(_as_lineage_warning(parent.model_id, w) for w in parent.warnings)
            node.ancestors |= {base_id, *parent.ancestors}
            node.truncated = node.truncated or parent.truncated
            parents.append(parent)
        return parents

    # -- architecture checks --------------------------------------------------------------------

    def _check_declared_base(self, node: Node, parent: Node) -> str | None:
        """Compare a model with its declared base; returns the lineage note and warns on a mismatch."""
        relation = node.relation
        if relation in UNCOMPARED:
            return f"{relation}: architecture not compared"
        use_shapes = relation != "quantized"
        assert parent.got is not None
        # A model read from a hub is fingerprinted from what was gathered; a local one comes with its own.
        own = node_fingerprint(node.got) if node.got is not None else node.fp
        result = compare(own, parent.fp, use_shapes=use_shapes)
        cheap_enough = result.basis != "parameter count" or (result.same and relation == "finetune")
        if result.same is None or not cheap_enough:
            # The cheap comparison is inconclusive: read both configs (small, cached by sha).
            if node.got is not None:
                self.gatherer.read_config(node.got)
                own = node_fingerprint(node.got)
            self.gatherer.read_config(parent.got)
            parent.fp = node_fingerprint(parent.got)
            result = compare(own, parent.fp, use_shapes=use_shapes)
            if result.basis == "parameter count" and relation == "quantized":
                result = Comparison(None, "nothing")  # stored counts of a quantization prove nothing
        if result.same is False:
            warning = (
                f"{node.model_id} declares {parent.model_id} as its base ({relation}) but their architectures "
                f"differ: {result.describe()}"
            )
            node.warnings.append(warning)
            return "architecture mismatch: " + result.describe()
        if result.same is None:
            return "architecture not compared: no config or weights readable on both sides"
        return f"architecture matches ({result.basis})"

    def _look_for_undeclared(self, node: Node) -> None:
        """Flag an exact architecture match with a known, older model when no base is declared.

        Candidates come oldest first (the original of a copy is the older one); at most
        :data:`MAX_UNDECLARED_CHECKS` are confirmed, and only the first match is reported.
        """
        assert node.got is not None and node.info is not None
        self._index_references(exclude=node.model_id)
        exclude = {node.model_id, *node.ancestors}
        created = node.info.created_at
        candidates = self.session.index.candidates(
            node.fp,
            exclude=exclude,
            accept=lambda e: (
                node.model_id not in e.bases and _older(e.created_at, created) and visible_to(e, self.client)
            ),
            limit=MAX_UNDECLARED_CHECKS,
        )
        matched: set[str] = set()
        for entry in candidates:
            result = same_architecture(node.fp, entry.fingerprint)
            if result.same is None:
                # Only the sizes agree so far: compare configs (read once, then cached by sha).
                self.gatherer.read_config(node.got)
                node.fp = node_fingerprint(node.got)
                if not entry.fingerprint.dims and not entry.extra.get("config_tried"):
                    entry.extra["config_tried"] = True
                    self.session.index.update(entry.model_id, entry.fingerprint.merged(self._config_fingerprint(entry)))
                result = same_architecture(node.fp, entry.fingerprint)
            if not result.same:
                continue
            if not self._distinctive(node.fp) and entry.model_id not in self.references:
                continue  # a layout many known models share (a public base's) says nothing by itself
            matched.add(entry.model_id)
            note = (
                f"no base model declared, but the architecture matches {entry.model_id} exactly "
                f"({result.basis}); if derived from it, declare base_model"
            )
            node.warnings.append(f"{node.model_id}: {note}")
            row = missing_entry(entry.model_id, depth=1, relation="undeclared", note=note)
            row["sha"] = entry.sha
            row["architecture"] = entry.fingerprint.architecture
            row["parameters"] = entry.fingerprint.total
            node.lineage.append(row)
            break
        for ref in self.references:
            if ref not in matched and ref != node.model_id:
                why = "not the same architecture, or not older than this model"
                node.warnings.append(f"{node.model_id}: --reference {ref}: no match ({why})")

    def _compare_with_known(self, node: Node) -> None:
        """Compare the checked model with the shipped index (:mod:`compliance.provenance.derivation`): its
        facts, an ``undeclared`` lineage row unless one already names that model, and a warning."""
        from compliance.provenance.derivation import compare_with_known
        from compliance.provenance.known import KnownIndex, Layout, names_digest

        assert node.got is not None and node.info is not None and node.facts is not None
        refused = bool(node.info.gated) and node.got.art.card is None  # no access to the files: ask no more
        weights: list[str] = []
        if self.known_store is not None and self.read_config and not refused and not node.fp.dims:
            # The service keeps every inspected model's hyper-parameters, so that a later check can
            # compare its layout with this one: config.json is small and cached by sha.
            self.gatherer.read_config(node.got)
            node.fp = node.fp.merged(node_fingerprint(node.got))
        headers = node.got.art.headers
        names = names_digest(headers.tensors) if headers is not None and headers.total else None
        digest = node.fp.dims_digest
        seen = KnownIndex(tuple(self._seen(node.fp, names)), {})
        same_size = (known_index(), seen)
        if not refused and any(i.shares_total(node.fp.total, node.model_id, node.info.created_at) for i in same_size):
            # Cheap evidence first: a known model of the same size makes the config (small, cached by
            # sha) worth reading to compare layouts, and the weight files' LFS sha256 worth asking for.
            if not node.fp.dims:
                self.gatherer.read_config(node.got)
                node.fp = node.fp.merged(node_fingerprint(node.got))
            files = [f for f in node.info.siblings or () if f.endswith(".safetensors") and "/" not in f]
            if node.info.sha and files:
                weights = self.client.weight_hashes(node.model_id, node.info.sha, files, self.budget)
                node.weights = list(weights)
        fp = node.fp
        layout = Layout(dict(fp.dims), total=fp.total, shapes=fp.shapes, names=names, model_type=fp.model_type)
        # Asked again only when the gate's config read gave a layout the first look-up did not have.
        extra = self._seen(fp, names) if fp.dims_digest != digest else list(seen.models)
        extra = self._complete(extra, node)
        derived = compare_with_known(
            node.model_id, layout, bases=node.bases, created=node.info.created_at, weights=weights, extra=extra
        )
        for fact in derived.facts:
            if fact.name not in node.facts:  # a declaration wins
                node.facts.set(fact)
        listed = {row["model"] for row in node.lineage if row.get("relation") == "undeclared"}
        node.lineage.extend(row for row in derived.lineage if row["model"] not in listed)
        node.warnings = _dedupe([*node.warnings, *derived.warnings])

    def _seen(self, fp: Fingerprint, names: str | None) -> list[KnownModel]:
        """The models the service has seen with this size, layout or tensor names (none on the CLI)."""
        if self.known_store is None:
            return []
        return self.known_store.similar(total=fp.total, layout=fp.dims_digest, names=names, viewer=viewer(self.client))

    def _complete(self, seen: list[KnownModel], node: Node) -> list[KnownModel]:
        """Stored models of the checked model's size that could be its source but were kept without
        hyper-parameters (seen by a sweep), with those read from their config at the stored commit
        (at most :data:`MAX_UNDECLARED_CHECKS`; one that cannot be read stays as it is)."""
        from compliance.provenance.known import could_be_source

        assert node.info is not None
        out: list[KnownModel] = []
        budget = MAX_UNDECLARED_CHECKS
        for m in seen:
            incomplete = not m.dims and m.revision and m.total == node.fp.total
            if budget and node.fp.dims and incomplete and could_be_source(m, node.model_id, node.info.created_at):
                budget -= 1
                fp = self._config_fingerprint(IndexEntry(m.model_id, m.revision, Fingerprint()))
                m = m.replace(dims=dict(fp.dims)) if fp.dims else m
            out.append(m)
        return out

    def _distinctive(self, fp: Fingerprint) -> bool:
        """Whether at most DISTINCTIVE_MAX known models, shipped or seen by the service, share this layout."""
        from compliance.provenance.known import KnownIndex, combined

        shipped = known_index()
        if self.known_store is None:
            return shipped.distinctive(dict(fp.dims))
        seen = self.known_store.similar(total=None, layout=fp.dims_digest, names=None, viewer=viewer(self.client))
        return KnownIndex(combined(shipped.models, seen), {}).distinctive(dict(fp.dims))

    def _config_fingerprint(self, entry: IndexEntry) -> Fingerprint:
        if not entry.sha or (entry.extra.get("gated") and not self.client.token):
            return Fingerprint()
        try:
            data, _ = self.client.read_file(entry.model_id, entry.sha, "config.json", self.budget, max_bytes=16 << 20)
            config = load_json(data, source="config.json") if data is not None else None
        except ComplianceError:
            return Fingerprint()
        return fingerprint(config=config) if isinstance(config, dict) else Fingerprint()

    def _index_references(self, *, exclude: str) -> None:
        """Make sure every reference model is in the index (one ``model_info`` each, once per session)."""
        for ref in self.references:
            known = self.session.index.get(ref)
            if ref == exclude or (known is not None and visible_to(known, self.client)):
                continue
            try:
                info = self.client.model_info(ref, None, self.budget)
            except ComplianceError:
                continue  # an unreadable reference cannot match anything
            total = None if packed_weights(info) else info.safetensors_total
            fp = fingerprint(total=total, names=info.config)
            bases = tuple(info.base_models)
            self.session.index.add(
                IndexEntry(ref, info.sha, fp, bases, info.created_at, index_extra(info, self.client))
            )


# A model with more tensors than this keeps its digests but not the list itself (a 90,000-tensor
# mixture of experts would make one row megabytes long).
MAX_STORED_TENSORS = 4096


def stored_fingerprint(node: Node, client: HubClient) -> dict[str, Any] | None:
    """What the service keeps of an inspected model's structure (a row of its ``fingerprints``
    table): architecture, config hyper-parameters and their digest, parameter count, the tensors'
    names, dtypes and shapes when the headers were read, the weight files' LFS sha256, the
    declared bases, the publication date and who may see it. None when nothing structural is known."""
    from compliance.provenance.known import names_digest

    info, fp = node.info, node.fp
    if info is None or not (fp.dims or fp.total or fp.shapes or node.weights):
        return None
    headers = node.got.art.headers if node.got is not None else None
    listed = dict(headers.tensors) if headers is not None and headers.total else {}
    tensors = [[name, t.dtype, list(t.shape)] for name, t in sorted(listed.items())]
    return {
        "model_ref": node.model_id,
        "revision": (info.sha or node.revision or "main")[:64],
        "architecture": fp.architecture,
        "model_type": fp.model_type,
        "layout": fp.dims_digest,
        "dims": dict(fp.dims),
        "parameters": fp.total,
        "shapes": fp.shapes,
        "names": names_digest(listed) if listed else None,
        "tensors": tensors if 0 < len(tensors) <= MAX_STORED_TENSORS else None,
        "weights": sorted(set(node.weights)),
        "bases": list(node.bases),
        "created": info.created_at,
        **index_extra(info, client),
        "gated": bool(info.gated),  # "auto" or "manual" on the hub: stored as gated or not
    }


def _base_facts(node: Node, endpoint: str) -> BaseFacts | None:
    if node.facts is None:
        return None
    sha = node.info.sha if node.info is not None else None
    return BaseFacts(node.model_id, sha, f"{endpoint}/{node.model_id}", node.facts)


def _as_lineage_warning(model_id: str, warning: str) -> str:
    if warning.startswith("lineage"):
        return warning
    return f"lineage: {warning}" if warning.startswith(model_id) else f"lineage: {model_id}: {warning}"


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
