"""Which files of a hub model to read, and reading them into :class:`~compliance.inspection.Artefacts`.

The policy (see :func:`plan`) aims at the fewest requests and bytes that still give the facts:

1. ``model_info`` (always, one request) gives the commit sha, gating, the card's front matter
   (``cardData``: licence, base model, datasets), the hub's ``safetensors`` totals per dtype,
   a subset of config.json (class name and ``model_type``, no hyper-parameters), the file list
   and the declared base models.
2. ``README.md`` (one request, a few to a few hundred kB) for the card's *prose*: training
   tokens, accelerator-hours and hardware are written there, never in the front matter, and
   training compute cannot be estimated without them. Skipped when the repo has none, and
   for a gated repo when no token was given (it would be refused; ``cardData`` stands in).
3. ``config.json`` (one request, a few kB) only when the description does not carry what it
   gives: no ``safetensors`` totals (the architecture formula counts the parameters), a
   mixture-of-experts model (active parameters per token need the expert counts), integer
   dtypes in the totals (packed quantized weights under-count), no config subset at all (so
   the model might be MoE), ``--exact``, ``thorough``, or a lineage comparison that needs
   hyper-parameters (read later, on demand, by :mod:`compliance.hub.lineage`).
4. safetensors headers (range requests on the index and the shards, never weights) only in
   ``thorough`` mode, as a cross-check of the hub's totals, or when neither totals nor a
   config exist.

So a dense model whose description carries ``safetensors`` totals and ``cardData`` costs two
requests (``model_info`` + README) the first time and one afterwards (files are read at the
resolved sha, so they are cached for good). Everything is fetched at the sha that
``model_info`` resolved, so ``ORG/NAME@SHA`` reproduces a run exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from compliance.errors import AccessDenied, ComplianceError, HubError, InputError, ModelFileError, ModelNotFound
from compliance.facts.model import Confidence, Evidence, Fact
from compliance.hub.cache import is_sha
from compliance.hub.client import Budget, HubClient
from compliance.hub.errors import describe
from compliance.hub.info import HubInfo
from compliance.inspection import Artefacts
from compliance.jsonsafe import load_json

README = "README.md"
CONFIG = "config.json"
SINGLE = "model.safetensors"
INDEX = "model.safetensors.index.json"
MAX_CONFIG_BYTES = 16 * 1024 * 1024
MAX_INDEX_BYTES = 64 * 1024 * 1024
MAX_SHARDS = 4096
# First range read of a shard: most shard headers fit in it, larger ones need a second read.
FIRST_READ = 32_768
HEADER_THREADS = 8
MAX_REMOTE_HEADER = 100 * 1024 * 1024

MOE_TYPES = frozenset(
    {
        "mixtral", "deepseek_v2", "deepseek_v3", "dbrx", "gpt_oss", "jamba", "olmoe", "phimoe",
        "qwen2_moe", "qwen3_moe", "qwen3_next", "llama4", "llama4_text", "glm4_moe", "arctic",
        "granitemoe", "jetmoe", "ernie4_5_moe", "hunyuan_v1_moe", "minimax", "kimi_k2", "bailing_moe",
        "nemotron_h", "switch_transformers", "nllb_moe", "grok-1", "deepseek",
    }
)  # fmt: skip
_MOE_NAME = re.compile(r"moe|mixtral|deepseekv[23]|dbrx|gptoss|jamba|arctic|llama4|qwen3next|grok", re.IGNORECASE)
_MOE_KEYS = ("num_local_experts", "n_routed_experts", "num_experts", "moe_num_experts")
_INT_DTYPES = frozenset({"I8", "U8", "I16", "U16", "I32", "U32"})
_SHARD_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}(?:/[A-Za-z0-9_][A-Za-z0-9._-]{0,200}){0,3}$")


@dataclass(frozen=True, slots=True)
class Plan:
    """What to read for one model, with the reason for each choice (kept in the report's warnings)."""

    card: bool
    config: bool
    headers: bool
    readable: bool
    reasons: tuple[str, ...] = ()


def is_moe(info: HubInfo) -> bool | None:
    """Whether the hub's config subset names a mixture-of-experts model; None when it says nothing."""
    subset = info.config or {}
    model_type = subset.get("model_type")
    archs = subset.get("architectures")
    names = [model_type] if isinstance(model_type, str) else []
    names += [a for a in archs if isinstance(a, str)] if isinstance(archs, list) else []
    if not names and not any(k in subset for k in _MOE_KEYS):
        return None
    if isinstance(model_type, str) and model_type.lower() in MOE_TYPES:
        return True
    return any(_MOE_NAME.search(n.replace("_", "")) for n in names) or any(k in subset for k in _MOE_KEYS)


def packed_weights(info: HubInfo) -> bool:
    """Whether the hub's per-dtype totals include integer tensors (packed low-bit weights under-count)."""
    params = info.safetensors_parameters or {}
    quant = (info.config or {}).get("quantization_config")
    method = quant.get("quant_method") if isinstance(quant, dict) else None
    return bool(_INT_DTYPES & set(params)) or method in ("awq", "gptq", "bitsandbytes", "aqlm", "hqq", "eetq")


def plan(info: HubInfo, *, token_given: bool, thorough: bool = False, use_exact: bool = False) -> Plan:
    """Decide what to read beyond ``model_info`` (pure; see the module docstring)."""
    reasons: list[str] = []
    readable = not info.gated or token_given
    if not readable:
        reasons.append("gated and no token given: only the hub's description can be read")
    listed_card = info.has_file(README) is not False
    listed_config = info.has_file(CONFIG) is not False
    has_weights = info.siblings is None or any(n.endswith(".safetensors") for n in info.siblings)
    want_config = False
    if info.safetensors_total is None:
        want_config, why = True, "no safetensors totals in the description"
    elif packed_weights(info):
        want_config, why = True, "integer dtypes in the totals (packed quantized weights)"
    elif (moe := is_moe(info)) is None:
        want_config, why = True, "the description has no config subset"
    elif moe:
        want_config, why = True, "mixture of experts: active parameters need the expert counts"
    elif thorough or use_exact:
        want_config, why = True, "thorough" if thorough else "--exact"
    if want_config and listed_config:
        reasons.append(f"config.json read: {why}")
    want_headers = has_weights and (thorough or (info.safetensors_total is None and not listed_config))
    return Plan(
        card=readable and listed_card,
        config=readable and listed_config and want_config,
        headers=readable and want_headers,
        readable=readable,
        reasons=tuple(reasons),
    )


@dataclass(slots=True)
class Gathered:
    """One model's artefacts as read from the hub, and the cost of reading them."""

    info: HubInfo
    revision: str  # what the files were read at: the sha, or the revision asked when the hub gave none
    art: Artefacts
    files: list[str] = field(default_factory=list)
    nbytes: int = 0
    card_from_readme: bool = False
    config_tried: bool = False

    @property
    def config(self) -> dict[str, Any] | None:
        """config.json, when it was read."""
        return self.art.config


class Gatherer:
    """Reads files of hub models for one check (one budget)."""

    def __init__(self, client: HubClient, budget: Budget) -> None:
        self.client = client
        self.budget = budget
        self.files: list[str] = []  # every file read, for the report's inputs
        self.nbytes = 0

    def url(self, info: HubInfo, revision: str, name: str) -> str:
        """Where a file can be seen: the evidence source for facts read from it."""
        return f"{self.client.endpoint}/{info.id}/blob/{revision}/{name}"

    def gather(
        self,
        info: HubInfo,
        revision: str | None,
        *,
        thorough: bool = False,
        use_exact: bool = False,
        card: bool = True,
    ) -> Gathered:
        """Read what :func:`plan` asks for; failures to read a file become warnings, never errors."""
        at = info.sha or revision or "main"
        art = Artefacts()
        got = Gathered(info, at, art)
        if not info.sha:
            art.warnings.append(f"{info.id}: the hub gave no commit sha; files were read at {at!r} and not cached")
        decided = plan(info, token_given=bool(self.client.token), thorough=thorough, use_exact=use_exact)
        if not decided.readable:
            art.warnings.append(
                f"{info.id} is gated and no token was given: facts come from the hub's description only "
                "(card prose, config and headers unknown)"
            )
        art.extra_facts.extend(description_facts(info, self.client.endpoint, at))
        if decided.config:
            self.read_config(got)
        if decided.headers:
            self.read_headers(got)
        if card and decided.card:
            self.read_card(got)
        if got.art.card is None and info.card_data is not None:
            self._card_from_description(got)
        return got

    # -- single files ---------------------------------------------------------------------

    def _read(self, got: Gathered, name: str, max_bytes: int) -> bytes | None:
        try:
            data, cached = self.client.read_file(got.info.id, got.revision, name, self.budget, max_bytes=max_bytes)
        except AccessDenied as exc:
            got.art.warnings.append(f"{name} of {got.info.id} not readable: {describe(exc)}")
            return None
        except (HubError, ModelNotFound) as exc:
            got.art.warnings.append(f"{name} of {got.info.id} not read: {describe(exc)}")
            return None
        if data is None:
            if self.client.offline and is_sha(got.revision):
                got.art.warnings.append(f"{name} of {got.info.id} is not in the local cache (offline)")
            return None
        self._note(got, f"{got.info.id}@{got.revision[:12]}/{name}" + (" (cached)" if cached else ""), len(data))
        return data

    def _note(self, got: Gathered, file: str | None, nbytes: int) -> None:
        if file is not None:
            got.files.append(file)
            self.files.append(file)
        got.nbytes += nbytes
        self.nbytes += nbytes

    def read_card(self, got: Gathered) -> None:
        """README.md, parsed with the model's size and name to pick its statements."""
        from compliance.facts.card import parse_card
        from compliance.inspection import parameters_hint

        data = self._read(got, README, 5 * 1024 * 1024 + 1)
        if data is None:
            return
        source = self.url(got.info, got.revision, README)
        try:
            text = data.decode("utf-8")
            hint = parameters_hint(got.art) or (float(got.info.safetensors_total or 0) or None)
            got.art.card = parse_card(text, source=source, parameters_hint=hint, model_name=got.info.id)
        except UnicodeDecodeError:
            got.art.warnings.append(f"{source}: the model card is not valid UTF-8; ignored")
            return
        except InputError as exc:
            got.art.warnings.append(f"the model card was ignored: {exc.one_line()}")
            return
        got.art.card_source = source
        got.card_from_readme = True

    def read_config(self, got: Gathered) -> None:
        """config.json, once per model."""
        if got.config_tried or got.art.config is not None:
            return
        got.config_tried = True
        if got.info.gated and not self.client.token:
            return
        data = self._read(got, CONFIG, MAX_CONFIG_BYTES)
        if data is None:
            return
        source = self.url(got.info, got.revision, CONFIG)
        try:
            config = load_json(data, source=source)
        except ModelFileError as exc:
            got.art.warnings.append(f"{exc.one_line()}; ignored")
            return
        if not isinstance(config, dict):
            got.art.warnings.append(f"{source}: not a JSON object; ignored")
            return
        from compliance.facts.architectures import count_parameters

        try:
            count_parameters(config, source=source)  # surfaces a malformed config now, as a warning
        except ModelFileError as exc:
            got.art.warnings.append(f"config.json not used: {exc.one_line()}")
            return
        got.art.config = config
        got.art.config_source = source

    # -- safetensors headers ------------------------------------------------------------------

    def read_headers(self, got: Gathered) -> None:
        """Every weight file's header through range requests; a warning (not an error) when impossible."""
        from compliance.facts.safetensors import summarize_headers

        try:
            shards = self._weight_files(got)
            if not shards:
                return
            if len(shards) == 1:
                headers = [self._header(got, shards[0])]
            else:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=min(HEADER_THREADS, len(shards))) as pool:
                    headers = list(pool.map(lambda name: self._header(got, name), shards))
            summary = summarize_headers(headers)
        except (ComplianceError, ValueError) as exc:
            got.art.warnings.append(f"safetensors headers of {got.info.id} not read: {describe(exc)}")
            return
        summary.bytes_read = sum(8 + len(json.dumps(h)) for _, h, _ in headers)
        got.art.headers = summary

    def _weight_files(self, got: Gathered) -> list[str]:
        siblings = got.info.siblings
        if siblings is None or INDEX in siblings:
            data = self._read(got, INDEX, MAX_INDEX_BYTES)
            if data is not None:
                return _shards_of_index(data, self.url(got.info, got.revision, INDEX))
            if siblings is not None:
                return []
        if siblings is None or SINGLE in siblings:
            return [SINGLE]
        found = sorted(n for n in siblings if n.endswith(".safetensors") and "/" not in n and _SHARD_NAME.match(n))
        if len(found) > 1:
            got.art.warnings.append(f"{got.info.id}: no {INDEX}; counted all {len(found)} top-level safetensors files")
        return found[:MAX_SHARDS]

    def _header(self, got: Gathered, name: str) -> tuple[str, dict[str, Any], int | None]:
        cache_name = f"{name}#header.json"
        client, repo, rev = self.client, got.info.id, got.revision
        if is_sha(rev):
            cached = client.cached_file(repo, rev, cache_name)
            if cached is not None:
                entry = json.loads(cached)
                size = entry.get("data_size")
                # Entries cached before sizes could be unknown stored 2**62 for "unknown".
                known = isinstance(size, int) and 0 <= size < 2**62
                return name, entry["header"], size if known else None
        if client.offline:
            raise ModelNotFound(f"{name} header is not in the local cache (offline)")
        first, total = client.read_range(repo, rev, name, 0, FIRST_READ, self.budget)
        self._note(got, None, len(first))
        if len(first) < 8:
            raise HubError(f"{name}: truncated safetensors file")
        length = int.from_bytes(first[:8], "little")
        if length == 0 or length > MAX_REMOTE_HEADER:
            raise HubError(f"{name}: safetensors header length {length} is not plausible")
        raw = first[8 : 8 + length]
        if len(raw) < length:
            more, total = client.read_range(repo, rev, name, 8 + len(raw), 8 + length, self.budget)
            self._note(got, None, len(more))
            raw += more
        from compliance.facts.safetensors import decode_header

        header = decode_header(raw, source=name)  # the same decoding (duplicate names refused) as a local file
        # The file's size comes from the Content-Range total; without it the tensors are only
        # checked for overlaps and gaps, not for filling the file.
        if total is not None and total < 8 + length:
            raise HubError(f"{name}: safetensors header claims {length} bytes but the file has {total - 8}")
        data_size = total - 8 - length if total is not None else None
        self._note(got, f"{repo}@{rev[:12]}/{name} (header, {8 + length:,} bytes)", 0)
        if is_sha(rev):
            client.cache.save_file(
                repo, rev, cache_name, json.dumps({"header": header, "data_size": data_size}).encode()
            )
        return name, header, data_size

    def _card_from_description(self, got: Gathered) -> None:
        """Front matter only, from ``cardData``: licence, base model and tags, but no prose."""
        import yaml

        from compliance.facts.card import parse_card

        source = f"{self.client.endpoint}/api/models/{got.info.id} (cardData at {got.revision[:12]})"
        try:
            text = "---\n" + yaml.safe_dump(got.info.card_data, sort_keys=False, allow_unicode=True) + "---\n"
            card = parse_card(text, source=source, model_name=got.info.id)
        except (InputError, yaml.YAMLError) as exc:
            got.art.warnings.append(f"the hub's card data was ignored: {describe(exc)}")
            return
        card.warnings = [w for w in card.warnings if "front matter" not in w]
        got.art.card = card
        got.art.card_source = source


def _shards_of_index(data: bytes, source: str) -> list[str]:
    try:
        index = load_json(data, source=source)
    except ModelFileError as exc:
        raise HubError(exc.one_line()) from None
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise HubError(f"{source}: no weight_map object")
    names: dict[str, None] = {}  # in first-seen order; a dict, as a list made each look-up a scan
    for shard in weight_map.values():
        if not isinstance(shard, str) or not _SHARD_NAME.match(shard) or ".." in shard:
            raise HubError(f"{source}: the weight_map names an invalid shard")
        if shard not in names:
            names[shard] = None
            if len(names) > MAX_SHARDS:
                raise HubError(f"{source}: more than {MAX_SHARDS} shards")
    return list(names)


def description_facts(info: HubInfo, endpoint: str, revision: str) -> list[Fact]:
    """Facts the description itself gives: architecture names, task, per-dtype totals, base models."""
    source = f"{endpoint}/api/models/{info.id}"
    at = revision[:12]

    def ev(detail: str) -> list[Evidence]:
        return [Evidence("hub-api", source, f"{detail} (at {at})")]

    facts: list[Fact] = []
    subset = info.config or {}
    archs = subset.get("architectures")
    if isinstance(archs, list) and archs and isinstance(archs[0], str):
        facts.append(Fact("architecture", archs[0][:200], evidence=ev(f"config.architectures: {archs[0][:200]}")))
    model_type = subset.get("model_type")
    if isinstance(model_type, str) and model_type:
        facts.append(Fact("model_type", model_type[:200], evidence=ev(f"config.model_type: {model_type[:200]}")))
    if info.pipeline_tag:
        facts.append(Fact("pipeline_tag", info.pipeline_tag, evidence=ev(f"pipeline_tag: {info.pipeline_tag}")))
    if info.safetensors_parameters:
        detail = ", ".join(f"{k} {v:,}" for k, v in sorted(info.safetensors_parameters.items()))
        facts.append(
            Fact(
                "parameters_by_dtype",
                dict(info.safetensors_parameters),
                method="hub-api",
                evidence=ev(f"safetensors.parameters: {detail}"),
            )
        )
    if info.base_models and not _card_bases(info):
        value: Any = info.base_models[0] if len(info.base_models) == 1 else list(info.base_models)
        facts.append(
            Fact("base_model", value, method="hub-api", evidence=ev(f"baseModels: {', '.join(info.base_models)}"))
        )
        if info.base_relation in ("finetune", "adapter", "merge", "quantized"):
            facts.append(
                Fact(
                    "base_model_relation",
                    info.base_relation,
                    confidence=Confidence.LIKELY,
                    method="hub-api",
                    evidence=ev(f"baseModels.relation: {info.base_relation}"),
                )
            )
    return facts


def hub_parameters_fact(info: HubInfo, endpoint: str, revision: str) -> Fact | None:
    """The hub's safetensors total as a parameter count (None when absent or packed)."""
    if info.safetensors_total is None or packed_weights(info):
        return None
    detail = ", ".join(f"{k} {v:,}" for k, v in sorted((info.safetensors_parameters or {}).items()))
    return Fact(
        "parameters",
        info.safetensors_total,
        method="hub-api",
        evidence=[
            Evidence(
                "hub-api",
                f"{endpoint}/api/models/{info.id}",
                f"safetensors.total {info.safetensors_total:,}"
                + (f" ({detail})" if detail else "")
                + f", summed by the hub from the weight files' headers at {revision[:12]}",
            )
        ],
    )


def _card_bases(info: HubInfo) -> list[str]:
    raw = (info.card_data or {}).get("base_model")
    if isinstance(raw, str):
        return [raw]
    return [b for b in raw if isinstance(b, str)] if isinstance(raw, list) else []
