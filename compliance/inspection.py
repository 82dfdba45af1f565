"""Inspect a model: gather its facts, with evidence, from whatever artefacts are available.

This module holds what every source has in common: merging parameter counts from headers,
config and card, applying declarations, and estimating compute. The local-directory source is
here too; the hub source (``compliance.hub``) feeds the same merge.
"""

from __future__ import annotations

from pathlib import Path

from compliance.errors import InputError, ModelFileError
from compliance.estimate.compute import Peak, estimate_compute
from compliance.facts.model import Confidence, Evidence, Fact, FactSet
from compliance.jsonsafe import load_json
from compliance.records import Record
from compliance.regularfile import read_regular

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from compliance.estimate.compute import PeakLookup

    # Looks up the bases a model outside the hub names: (model id, its artefacts, declared facts).
    BaseLookup = Callable[[str, "Artefacts", Sequence[Fact]], "BaseLineage"]

MAX_CONFIG_BYTES = 16 * 1024 * 1024
# Two parameter counts "disagree" beyond this relative difference.
PARAMETER_TOLERANCE = 0.05


class ModelRef(Record):
    """Which model was inspected, and at which revision."""

    __slots__ = ("id", "source", "path", "revision", "sha")

    def __init__(
        self,
        id: str,
        source: str,  # "local", "hub", "upload" or "declared"
        path: str | None = None,
        revision: str | None = None,  # as asked
        sha: str | None = None,  # resolved commit
    ) -> None:
        self.id = id
        self.source = source
        self.path = path
        self.revision = revision
        self.sha = sha

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: v for k, v in {
            "id": self.id, "source": self.source, "path": self.path,
            "revision": self.revision, "sha": self.sha,
        }.items() if v is not None}  # fmt: skip


class Inspection(Record):
    """Everything known about one model."""

    __slots__ = ("model", "facts", "lineage", "warnings", "files_read", "bytes_read", "fingerprint")

    def __init__(
        self,
        model: ModelRef,
        facts: FactSet,
        lineage: list[dict[str, Any]] | None = None,
        warnings: list[str] | None = None,
        files_read: list[str] | None = None,
        bytes_read: int = 0,
        fingerprint: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.facts = facts
        self.lineage: list[dict[str, Any]] = [] if lineage is None else lineage
        self.warnings: list[str] = [] if warnings is None else warnings
        self.files_read: list[str] = [] if files_read is None else files_read
        self.bytes_read = bytes_read
        # The model's structure as the service keeps it (a hub inspection only; see
        # compliance.services.fingerprints): None when nothing was read to fingerprint.
        self.fingerprint = fingerprint


class Artefacts(Record):
    """The raw material of an inspection, whatever its source; filled in by the gatherer."""

    __slots__ = ("config", "config_source", "headers", "card", "card_source", "extra_facts", "warnings")

    def __init__(self) -> None:
        self.config: dict[str, Any] | None = None
        self.config_source = "config.json"
        self.headers: Any = None  # SafetensorsSummary
        self.card: Any = None  # CardInfo
        self.card_source = "README.md"
        self.extra_facts: list[Fact] = []  # e.g. hub-api facts
        self.warnings: list[str] = []


class BaseLineage(Record):
    """What looking up the bases a local or uploaded model names gave (see ``compliance.hub.local``)."""

    __slots__ = (
        "base_compute",
        "inherited",
        "first",
        "lineage",
        "warnings",
        "unknown_compute",
        "files_read",
        "bytes_read",
    )

    def __init__(
        self,
        base_compute: Fact | None = None,
        inherited: list[Fact] | None = None,
        first: list[Fact] | None = None,
        lineage: list[dict[str, Any]] | None = None,
        warnings: list[str] | None = None,
        files_read: list[str] | None = None,
        bytes_read: int = 0,
        unknown_compute: str | None = None,
    ) -> None:
        self.base_compute = base_compute  # the compute to inherit, None when no base's is known
        self.inherited: list[Fact] = [] if inherited is None else inherited  # the model's own facts override them
        self.first: list[Fact] = [] if first is None else first  # applied like declarations, before the user's
        self.lineage: list[dict[str, Any]] = [] if lineage is None else lineage
        self.warnings: list[str] = [] if warnings is None else warnings
        # Why the cumulative compute would be unknown: reported only when the model's own facts do not
        # settle it either (a card that states the inherited pretraining run does).
        self.unknown_compute = unknown_compute
        self.files_read: list[str] = [] if files_read is None else files_read
        self.bytes_read = bytes_read


def catalog_peak_lookup() -> PeakLookup:
    """A peak-throughput lookup backed by the shipped hardware catalog, loaded on first use."""
    catalogs: list[Any] = []

    def lookup(name: str) -> Peak | None:
        if not catalogs:
            from compliance.hardware.catalog import load_catalog

            catalogs.append(load_catalog())
        acc = catalogs[0].find(name)
        if acc is None:
            return None
        peak = acc.peak_flops("bf16")
        if not peak:
            return None
        return Peak(peak, f"{acc.vendor} {acc.name}: dense 16-bit peak {peak / 1e12:g} TFLOPS")

    return lookup


def read_config(path: Path, *, label: str = "config.json") -> dict[str, Any]:
    """Read a config.json, bounded, as a JSON object."""
    data = load_json(read_regular(path, limit=MAX_CONFIG_BYTES, error=ModelFileError), source=label)
    if not isinstance(data, dict):
        raise ModelFileError("not a JSON object", source=label)
    return data


def parameters_hint(art: Artefacts) -> float | None:
    """The model's size as far as headers or config tell, to pick the card's matching statements."""
    if art.headers is not None and art.headers.total:
        return float(art.headers.total)
    if art.config is not None:
        from compliance.errors import ModelFileError
        from compliance.facts.architectures import count_parameters

        try:
            return float(count_parameters(art.config, source=art.config_source).total)
        except ModelFileError:
            return None  # reported when the facts are built
    return None


def gather_local(directory: Path, *, model_name: str | None = None) -> tuple[Artefacts, list[str], int]:
    """Read a local model directory's config, safetensors headers and card.

    Returns the artefacts, the files read and the bytes read.
    """
    from compliance.facts.safetensors import summarize_directory

    if not directory.exists():
        raise InputError("no such directory", source=str(directory))
    if not directory.is_dir():
        raise InputError("not a directory (give the model's folder)", source=str(directory))
    try:
        entries = {p.name for p in directory.iterdir()}
    except OSError as exc:
        raise InputError(f"cannot list: {exc.strerror or exc}", source=str(directory)) from None
    art = Artefacts()
    files: list[str] = []
    nbytes = 0
    if "config.json" in entries:
        config_path = directory / "config.json"
        art.config = read_config(config_path, label=str(config_path))
        art.config_source = "config.json"
        files.append("config.json")
        nbytes += config_path.stat().st_size
    headers = summarize_directory(directory)
    if headers is not None:
        art.headers = headers
        files.extend(headers.files)
        nbytes += headers.bytes_read
    readme = next((n for n in ("README.md", "readme.md", "README.MD") if n in entries), None)
    if readme is not None:
        from compliance.facts.card import parse_card_file

        art.card = parse_card_file(directory / readme, parameters_hint=parameters_hint(art), model_name=model_name)
        art.card_source = readme
        files.append(readme)
        nbytes += (directory / readme).stat().st_size
    if not files:
        raise InputError("nothing to inspect: no config.json, README.md or *.safetensors", source=str(directory))
    return art, files, nbytes


def build_facts(
    art: Artefacts,
    *,
    declared: Iterable[Fact] = (),
    peak_lookup: PeakLookup | None = None,
    base_compute: Fact | None = None,
    use_exact: bool = False,
    counted: Fact | None = None,
) -> tuple[FactSet, list[str]]:
    """Merge the artefacts into one fact set, apply declarations, then estimate compute.

    ``counted`` is a parameter count from an authority other than local headers (the hub's
    safetensors totals): it competes with the config's count exactly as header counts do.
    """
    facts = FactSet()
    warnings = list(art.warnings)
    for fact in art.extra_facts:
        facts.set(fact)
    _architecture_facts(art, facts, warnings, use_exact, counted)
    if art.card is not None:
        warnings.extend(art.card.warnings)
        for fact in art.card.facts:
            existing = facts.get(fact.name)
            if existing is None or existing.confidence.rank > fact.confidence.rank:
                if existing is not None:
                    fact.alternatives.append(existing)
                facts.set(fact)
            elif fact.name in ("parameters", "active_parameters"):
                _compare_counts(existing, fact)
    if facts.get("output_modalities") is None:
        inferred = _modalities_from_architecture(facts.value("architecture"))
        if inferred is not None:
            facts.set(inferred)
    for fact in declared:
        previous = facts.get(fact.name)
        if previous is not None and previous.known:
            fact.alternatives.append(previous)
        facts.set(fact)
    for fact in estimate_compute(facts, peak_lookup=peak_lookup, base_compute=base_compute):
        facts.set(fact)
    return facts, warnings


# Architecture class suffixes that generate text token by token (the card's pipeline_tag wins when present).
_TEXT_GENERATORS = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")


def _modalities_from_architecture(architecture: Any) -> Fact | None:
    if not isinstance(architecture, str) or not architecture.endswith(_TEXT_GENERATORS):
        return None
    return Fact(
        "output_modalities",
        ["text"],
        confidence=Confidence.LIKELY,
        method="architecture",
        evidence=[Evidence("config", "config.json", f"architectures: {architecture} generates text")],
        note="inferred from the architecture class; the card gives no pipeline_tag",
    )


def _architecture_facts(
    art: Artefacts, facts: FactSet, warnings: list[str], use_exact: bool, external_count: Fact | None = None
) -> None:
    from compliance.facts.architectures import count_parameters

    counted = None
    config_fact = None
    if art.config is not None:
        counted = count_parameters(art.config, source=art.config_source)
        detail = f"{counted.family} formula" + (f" ({counted.note})" if counted.note else "")
        config_fact = Fact(
            "parameters",
            counted.total,
            confidence=counted.confidence,
            note=None if counted.exact else counted.note,
            method="architecture",
            evidence=[Evidence("config", art.config_source, detail)],
        )
        for key, name in (("architectures", "architecture"), ("model_type", "model_type")):
            raw = art.config.get(key)
            if isinstance(raw, list) and raw:
                raw = raw[0]
            if isinstance(raw, str) and raw:
                facts.set(Fact(name, raw, evidence=[Evidence("config", art.config_source, f"{key}: {raw}")]))
    header_fact = None
    headers = art.headers
    if headers is not None and headers.total > 0:
        dtypes = ", ".join(f"{k} {v:,}" for k, v in sorted(headers.by_dtype.items()))
        header_fact = Fact(
            "parameters",
            headers.total,
            method="safetensors-header",
            evidence=[
                Evidence(
                    "safetensors-header",
                    ", ".join(headers.files[:3])
                    + (f" (+{len(headers.files) - 3} more)" if len(headers.files) > 3 else ""),
                    f"{len(headers.tensors):,} tensors in {len(headers.files)} file(s): {dtypes}",
                )
            ],
            note=headers.note,
        )
        facts.set(Fact(
            "parameters_by_dtype", dict(headers.by_dtype), method="safetensors-header",
            evidence=list(header_fact.evidence),
        ))  # fmt: skip
        if headers.packed_quantized:
            header_fact.confidence = Confidence.SPECULATIVE
            header_fact.note = "integer tensors hold packed quantized weights; the stored count is not the true count"
    if header_fact is None:
        header_fact = external_count
    chosen = _choose_parameters(header_fact, config_fact, warnings)
    if use_exact and art.config is not None:
        _exact_alternative(art.config, chosen, warnings)
    if chosen is not None:
        facts.set(chosen)
    if counted is not None and counted.active is not None:
        facts.set(Fact(
            "active_parameters", counted.active,
            confidence=counted.confidence, note=None if counted.exact else counted.note,
            method="architecture",
            evidence=[Evidence("config", art.config_source, f"{counted.family}: active per token")],
        ))  # fmt: skip
    elif chosen is not None and counted is not None:
        facts.set(Fact(
            "active_parameters", chosen.value, chosen.low, chosen.high, chosen.confidence, chosen.method,
            list(chosen.evidence), note="dense model: every parameter is active",
        ))  # fmt: skip


def _choose_parameters(header: Fact | None, config: Fact | None, warnings: list[str]) -> Fact | None:
    """The parameter fact from a stored count (safetensors headers or the hub's totals) and the config's.

    Counts that agree within :data:`PARAMETER_TOLERANCE` give the stored count (it is exact),
    the config's kept as an alternative. A stored count of packed quantized weights (the only
    stored count that is not confident) is known to be low: the config's count is used. Any
    other disagreement means one artefact is wrong and nothing says which, so the fact becomes
    an interval covering both, at most speculative, whose value is the larger count: a check
    must never pass on the smaller of two disagreeing counts.
    """
    if header is None or config is None:
        return header or config
    packed = header.confidence is Confidence.SPECULATIVE and config.confidence is not Confidence.UNKNOWN
    if packed and _count(config) >= _count(header):
        _compare_counts(config, header)
        if config.note and "disagree" in config.note:
            warnings.append(config.note)
        return config
    stored = _count(header)
    if stored > 0 and abs(_count(config) - stored) / stored <= PARAMETER_TOLERANCE:
        _compare_counts(header, config)
        return header
    merged = _cover_both(header, config)
    warnings.append(
        f"parameter counts disagree: {merged.note}. Check that the weights and the config belong to the same "
        "model; a threshold inside the interval is uncertain"
    )
    return merged


# How the report names the source of a parameter count.
_COUNT_SOURCES = {
    "safetensors-header": "safetensors header",
    "architecture": "config formula",
    "hub-api": "hub's safetensors total",
    "card-text": "model card",
    "card-metadata": "model card",
    "exact": "model built from the config",
}


def _count(fact: Fact) -> float:
    return float(fact.value) if isinstance(fact.value, int | float) else 0.0


def _source_of(fact: Fact) -> str:
    label = _COUNT_SOURCES.get(fact.method, fact.method)
    return f"{label} ({fact.evidence[0].source})" if fact.evidence else label


def _how_far(a: float, b: float) -> str:
    """How far apart two counts are, in words: a percentage when close, a factor otherwise."""
    big, small = max(a, b), min(a, b)
    if small <= 0:
        return "one of them is zero"
    ratio = big / small
    return f"by {ratio - 1:.0%}" if ratio < 2 else f"by a factor of {ratio:,.3g}"


def _cover_both(first: Fact, second: Fact) -> Fact:
    """One fact whose interval covers two disagreeing counts, valued at the larger, at most speculative."""
    big, small = (first, second) if _count(first) >= _count(second) else (second, first)
    lows = [f.low for f in (first, second)]
    highs = [f.high for f in (first, second)]
    low = None if None in lows else min(x for x in lows if x is not None)
    high = None if None in highs else max(x for x in highs if x is not None)
    note = (
        f"the {_source_of(small)} count {_count(small):,.0f} and the {_source_of(big)} count "
        f"{_count(big):,.0f} disagree {_how_far(_count(big), _count(small))}; the fact covers both and "
        "takes the larger"
    )
    if big.note:
        note += f" ({big.note})"
    return Fact(
        big.name,
        big.value,
        low,
        high,
        Confidence.weakest(big.confidence, small.confidence, Confidence.SPECULATIVE),
        big.method,
        [*big.evidence, *small.evidence],
        note=note,
        alternatives=[*big.alternatives, small],
    )


def _compare_counts(chosen: Fact, other: Fact) -> None:
    """Keep ``other`` as an alternative of ``chosen``, noting a disagreement beyond the tolerance."""
    chosen.alternatives.append(other)
    if chosen.value and other.value:
        diff = abs(float(other.value) - float(chosen.value)) / float(chosen.value)
        if diff > PARAMETER_TOLERANCE:
            said = (
                f"{other.method} count {float(other.value):,.0f} and {chosen.method} count "
                f"{float(chosen.value):,.0f} disagree by {diff:.0%}"
            )
            # A note already there (an earlier disagreement) is kept: both are part of the story.
            chosen.note = f"{chosen.note}; {said}" if chosen.note else said


def _exact_alternative(config: dict[str, Any], chosen: Fact | None, warnings: list[str]) -> None:
    from compliance.facts.exact import count_exact, exact_available

    if not exact_available():
        warnings.append("--exact needs the optional extra: pip install 'compliance[exact]'")
        return
    exact = count_exact(config)
    if exact is None:
        warnings.append("transformers could not build this architecture; exact count skipped")
        return
    fact = Fact("parameters", exact.total, method="exact", evidence=[
        Evidence("exact", "transformers", f"meta-device model built from config ({exact.family})"),
    ])  # fmt: skip
    if chosen is not None:
        _compare_counts(chosen, fact)


def inspect_local(
    path: Path,
    *,
    declared: Iterable[Fact] = (),
    peak_lookup: PeakLookup | None = None,
    use_exact: bool = False,
    model_id: str | None = None,
    base_lookup: BaseLookup | None = None,
) -> Inspection:
    """Inspect a local model directory (about to be published).

    When its card (or a declaration) names a base model, ``base_lookup`` is called to read the
    base's facts and compute (``compliance.hub.local.look_up_bases`` does it on a hub); without
    one, the cumulative compute stays unknown and a warning says so.
    """
    art, files, nbytes = gather_local(path, model_name=model_id or path.resolve().name)
    ref = ModelRef(id=model_id or path.resolve().name, source="local", path=str(path))
    return inspect_artefacts(
        art, ref, files, nbytes, declared=declared, peak_lookup=peak_lookup, use_exact=use_exact,
        base_lookup=base_lookup,
    )  # fmt: skip


def inspect_artefacts(
    art: Artefacts,
    ref: ModelRef,
    files: list[str],
    nbytes: int,
    *,
    declared: Iterable[Fact] = (),
    peak_lookup: PeakLookup | None = None,
    use_exact: bool = False,
    base_lookup: BaseLookup | None = None,
) -> Inspection:
    """Build the inspection of a model known by its artefacts (a local directory, an upload),
    looking up the bases it names through ``base_lookup`` (see :func:`inspect_local`)."""
    declared = list(declared)
    bases = named_base(art, declared)
    found = BaseLineage()
    if bases is not None:
        if base_lookup is not None:
            found = base_lookup(ref.id, art, declared)
            art.extra_facts[:0] = found.inherited
        else:
            found.unknown_compute = (
                f"{ref.id}: the base model {bases} was not looked up (no hub to ask), so the cumulative "
                "training compute is unknown"
            )
    facts, warnings = build_facts(
        art,
        declared=[*found.first, *declared],
        peak_lookup=peak_lookup,
        base_compute=found.base_compute,
        use_exact=use_exact,
    )
    if found.unknown_compute is not None and facts.value("training_compute_flop") is None:
        found.warnings.append(found.unknown_compute)
    derived = _compare_with_known(ref.id, art, bases)
    for fact in derived.facts:
        if fact.name not in facts:  # a declaration wins
            facts.set(fact)
    return Inspection(
        ref,
        facts,
        lineage=[*found.lineage, *derived.lineage],
        warnings=list(dict.fromkeys([*found.warnings, *warnings, *derived.warnings])),
        files_read=[*files, *found.files_read],
        bytes_read=nbytes + found.bytes_read,
    )


def _compare_with_known(model_id: str, art: Artefacts, bases: str | None) -> Any:
    """The model compared with the shipped index of known models (:mod:`compliance.provenance.derivation`);
    a model about to be published is dated today, so every known model is older."""
    import time

    from compliance.provenance.derivation import artefacts_layout, compare_with_known

    named = [b.strip() for b in bases.split(",") if b.strip()] if bases else []
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return compare_with_known(model_id, artefacts_layout(art), bases=named, created=today)


def named_base(art: Artefacts, declared: Sequence[Fact]) -> str | None:
    """The base model(s) a declaration or the card names, as text; None when none is named."""
    card_facts = art.card.facts if art.card is not None else ()
    for fact in (*declared, *card_facts, *art.extra_facts):
        if fact.name == "base_model":
            value = fact.value
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value if v)
            return str(value)[:200] if value else None
    return None
