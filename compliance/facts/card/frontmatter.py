"""The card's YAML front matter: licence, lineage, datasets, pipeline tag and the CO2 block."""

from __future__ import annotations

import math
import re
from typing import Any

from compliance.errors import InputError, ModelFileError
from compliance.facts.card.blocks import clean, trim
from compliance.facts.card.durations import first_duration
from compliance.facts.card.quantities import Quantity
from compliance.facts.card.scientific import expand_scientific
from compliance.facts.licenses import classify_license
from compliance.facts.model import Confidence, Evidence, Fact
from compliance.facts.number_words import spell_to_digits
from compliance.yamlsafe import load_yaml


def front_matter(lines: list[str], source: str) -> tuple[dict[str, Any], int, bool]:
    """(metadata, index of the first body line, has front matter)."""
    if not lines or lines[0].rstrip() != "---":
        return {}, 0, False
    end = None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            end = index
            break
    if end is None:
        raise ModelFileError("front matter opened on line 1 is never closed by '---'", source=source, where="line 1")
    yaml_text = "\n".join(lines[1:end])
    try:
        data = load_yaml(yaml_text, source=source)
    except InputError as exc:
        where = exc.where
        match = re.fullmatch(r"line (\d+)", where or "")
        if match:
            where = f"line {int(match.group(1)) + 1}"  # the YAML starts on the file's line 2
        raise ModelFileError(f"front matter: {exc.message}", source=source, where=where) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ModelFileError(f"front matter is a {type(data).__name__}, not a mapping", source=source, where="line 2")
    return data, end + 1, True


_KEY_LINE = re.compile(r"([A-Za-z_][\w.-]{0,80})\s*:")


def _key_lines(fm_lines: list[str]) -> dict[str, int]:
    """Top-level key -> 1-based file line (the front matter starts on line 2)."""
    out: dict[str, int] = {}
    for index, line in enumerate(fm_lines):
        if line[:1] in (" ", "\t", "-", "#", ""):
            continue
        match = _KEY_LINE.match(line.lstrip("'\""))
        if match and match.group(1) not in out:
            out[match.group(1)] = index + 2
    return out


def _nested_key_line(fm_lines: list[str], parent_line: int | None, key: str) -> int | None:
    if parent_line is None:
        return None
    for index in range(parent_line - 1, len(fm_lines)):
        line = fm_lines[index]
        if index > parent_line - 1 and line[:1] not in (" ", "\t", ""):
            break
        if line.strip().startswith(key + ":"):
            return index + 2
    return parent_line


def _short(value: Any) -> str:
    """A short, bounded rendering of a YAML value (never expands nested or aliased data)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float) or value is None:
        text = str(value)
    elif isinstance(value, list):
        items = [v if isinstance(v, str) else f"<{type(v).__name__}>" for v in value[:10]]
        text = "[" + ", ".join(items) + (", ..." if len(value) > 10 else "") + "]"
    else:
        text = f"<{type(value).__name__}>"
    return trim(text)


def _str_list(value: Any) -> list[str]:
    """Strings from a string or a list (other items dropped), stripped and de-duplicated."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    out: list[str] = []
    for item in items[:1000]:
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            text = str(item).strip()[:300]
            if text and text not in out:
                out.append(text)
    return out


_ADAPTER_TAGS = {"lora", "peft", "adapter", "adapters", "qlora"}

_QUANT_TAGS = {"gguf", "gptq", "awq", "bnb", "bitsandbytes", "exl2", "4-bit", "8-bit", "4bit", "8bit", "quantized"}

_MERGE_TAGS = {"merge", "mergekit", "merged"}

_RELATIONS = {"finetune", "adapter", "merge", "quantized"}

# pipeline tag -> (output modalities, note). Non-generative tasks give [] (no generated
# language, image, audio or video), which is what the EU indicative GPAI criterion asks about.
_MODALITIES: dict[str, tuple[list[str], str | None]] = {
    "text-generation": (["text"], None),
    "text2text-generation": (["text"], None),
    "image-text-to-text": (["text"], None),
    "image-to-text": (["text"], None),
    "visual-question-answering": (["text"], None),
    "document-question-answering": (["text"], None),
    "video-text-to-text": (["text"], None),
    "audio-text-to-text": (["text"], None),
    "summarization": (["text"], None),
    "translation": (["text"], None),
    "conversational": (["text"], None),
    "table-question-answering": (["text"], None),
    "any-to-any": (["text"], "any-to-any: text at least; other output modalities may be possible"),
    "automatic-speech-recognition": (["text"], "outputs a transcription: generated text, but a narrow task"),
    "text-to-image": (["image"], None),
    "image-to-image": (["image"], None),
    "unconditional-image-generation": (["image"], None),
    "text-to-video": (["video"], None),
    "image-to-video": (["video"], None),
    "video-to-video": (["video"], None),
    "text-to-speech": (["audio"], None),
    "text-to-audio": (["audio"], None),
    "audio-to-audio": (["audio"], None),
    "text-to-3d": (["3d"], None),
    "image-to-3d": (["3d"], None),
}

_NON_GENERATIVE = {
    "feature-extraction",
    "sentence-similarity",
    "fill-mask",
    "text-classification",
    "token-classification",
    "zero-shot-classification",
    "question-answering",
    "text-ranking",
    "image-classification",
    "image-segmentation",
    "object-detection",
    "zero-shot-image-classification",
    "zero-shot-object-detection",
    "image-feature-extraction",
    "mask-generation",
    "depth-estimation",
    "audio-classification",
    "voice-activity-detection",
    "video-classification",
    "tabular-classification",
    "tabular-regression",
    "time-series-forecasting",
    "reinforcement-learning",
    "robotics",
    "keypoint-detection",
}


def output_modalities_for(pipeline_tag: str) -> tuple[list[str] | None, str | None]:
    """Output modalities implied by a hub pipeline tag: (modalities or None if unknown, note)."""
    tag = pipeline_tag.strip().lower()
    if tag in _MODALITIES:
        mods, note = _MODALITIES[tag]
        return list(mods), note
    if tag in _NON_GENERATIVE:
        return [], f"{tag} is not generative: it outputs embeddings, labels, spans or scores"
    return None, f"pipeline tag {tag!r} is not in the modality table"


def metadata_facts(meta: dict[str, Any], fm_lines: list[str], source: str, warnings: list[str]) -> list[Fact]:
    facts: list[Fact] = []
    lines = _key_lines(fm_lines)

    def ev(key: str, value: Any, line: int | None = None) -> Evidence:
        return Evidence("card-metadata", source, f"{key}: {_short(value)}", line or lines.get(key.split(".")[0]))

    # Licence.
    raw = meta.get("license")
    if isinstance(raw, list):
        names = _str_list(raw)
        if len(names) > 1:
            warnings.append(f"several licences declared ({', '.join(names)}); using the first")
        raw = names[0] if names else None
    license_id = str(raw).strip() if isinstance(raw, str | int | float) and str(raw).strip() else None
    if license_id is not None:
        evidence = [ev("license", license_id)]
        value = license_id
        note = None
        if license_id.lower() == "other":
            name = meta.get("license_name")
            link = meta.get("license_link")
            if isinstance(name, str) and name.strip():
                value = name.strip()[:200]
                evidence.append(ev("license_name", name))
            if isinstance(link, str) and link.strip():
                evidence.append(ev("license_link", link))
                note = f"licence text: {trim(link, 200)}"
        facts.append(Fact("license", value, method="card", evidence=evidence, note=note))
        info = classify_license(value)
        facts.append(
            Fact(
                "open_source_license",
                info.open_source,
                confidence=Confidence.LIKELY if info.known else Confidence.UNKNOWN,
                method="license-table",
                evidence=list(evidence),
                note=f"{info.display_name}: {info.note}",
            )
        )
    else:
        facts.append(
            Fact(
                "open_source_license",
                None,
                confidence=Confidence.UNKNOWN,
                method="none",
                note="the card declares no licence",
            )
        )

    # Lineage.
    bases = _str_list(meta.get("base_model"))
    if bases:
        facts.append(
            Fact(
                "base_model",
                bases[0] if len(bases) == 1 else bases,
                method="card",
                evidence=[ev("base_model", bases)],
            )
        )
    relation = meta.get("base_model_relation")
    if isinstance(relation, str) and relation.strip().lower() in _RELATIONS:
        facts.append(
            Fact(
                "base_model_relation",
                relation.strip().lower(),
                method="card",
                evidence=[ev("base_model_relation", relation)],
            )
        )
        if not bases:
            warnings.append("base_model_relation is set but base_model is not")
    elif bases:
        if relation is not None:
            warnings.append(f"base_model_relation {_short(relation)!r} is not one the hub knows; inferring")
        facts.append(_infer_relation(meta, bases, ev))

    datasets = _str_list(meta.get("datasets"))
    if datasets:
        facts.append(Fact("datasets", datasets, method="card", evidence=[ev("datasets", datasets)]))

    tag = meta.get("pipeline_tag")
    if isinstance(tag, str) and tag.strip():
        tag = tag.strip()
        facts.append(Fact("pipeline_tag", tag, method="card", evidence=[ev("pipeline_tag", tag)]))
        mods, note = output_modalities_for(tag)
        if mods is not None:
            facts.append(
                Fact(
                    "output_modalities",
                    mods,
                    confidence=Confidence.LIKELY,
                    method="derived",
                    evidence=[ev("pipeline_tag", tag)],
                    note=note,
                )
            )
        else:
            warnings.append(note or "")

    co2 = meta.get("co2_eq_emissions")
    if isinstance(co2, dict):
        facts.extend(_co2_facts(co2, fm_lines, lines.get("co2_eq_emissions"), ev))
    return facts


def _infer_relation(meta: dict[str, Any], bases: list[str], ev: Any) -> Fact:
    tags = {t.lower() for t in _str_list(meta.get("tags"))}
    library = meta.get("library_name")
    library = library.strip().lower() if isinstance(library, str) else ""
    evidence = [ev("base_model", bases)]
    if tags & _ADAPTER_TAGS or library == "peft":
        why = f"library_name {library}" if library == "peft" else f"tag {sorted(tags & _ADAPTER_TAGS)[0]!r}"
        relation = "adapter"
    elif tags & _QUANT_TAGS:
        why = f"tag {sorted(tags & _QUANT_TAGS)[0]!r}"
        relation = "quantized"
    elif len(bases) > 1 or tags & _MERGE_TAGS:
        why = f"{len(bases)} base models" if len(bases) > 1 else f"tag {sorted(tags & _MERGE_TAGS)[0]!r}"
        relation = "merge"
    else:
        why = "a base model and no adapter, quantization or merge tag"
        relation = "finetune"
    if why.startswith("tag") or why.startswith("library"):
        evidence.append(ev("library_name" if why.startswith("library") else "tags", why))
    return Fact(
        "base_model_relation",
        relation,
        confidence=Confidence.LIKELY,
        method="card",
        evidence=evidence,
        note=f"inferred from {why}, as the hub does",
    )


def _co2_facts(co2: dict[str, Any], fm_lines: list[str], parent_line: int | None, ev: Any) -> list[Fact]:
    facts: list[Fact] = []
    training_type = co2.get("training_type")
    type_note = f"training_type: {_short(training_type)}" if isinstance(training_type, str) else None
    hardware = co2.get("hardware_used")
    if isinstance(hardware, str) and hardware.strip():
        line = _nested_key_line(fm_lines, parent_line, "hardware_used")
        facts.append(
            Fact(
                "training_hardware",
                hardware.strip()[:200],
                method="card",
                evidence=[ev("co2_eq_emissions.hardware_used", hardware, line)],
                note=type_note,
            )
        )
    for key in ("duration", "training_duration", "training_time", "hours_used", "training_hours"):
        raw = co2.get(key)
        if raw is None or isinstance(raw, bool):
            continue
        hours: Quantity | None = None
        if isinstance(raw, int | float) and math.isfinite(raw) and raw > 0:
            hours = Quantity(float(raw), float(raw), float(raw), "")
        elif isinstance(raw, str):
            hours = first_duration(expand_scientific(spell_to_digits(clean(raw))))
        if hours is not None:
            line = _nested_key_line(fm_lines, parent_line, key)
            facts.append(
                Fact(
                    "training_duration_hours",
                    hours.value,
                    hours.low,
                    hours.high,
                    method="card",
                    evidence=[ev(f"co2_eq_emissions.{key}", raw, line)],
                    note=type_note if isinstance(raw, str) else f"read as hours; {type_note or ''}".strip("; "),
                )
            )
            break
    return facts
