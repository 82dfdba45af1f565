"""Classify the license identifiers model cards use, for the open-source exemption tests.

The EU AI Act exempts models released under "a free and open-source licence that allows for the
access, usage, modification, and distribution of the model" (Art. 53(2), recital 102); licences
that forbid commercial use or restrict who may use the model, or how, do not qualify. Hub cards
name licences with SPDX-like ids (``apache-2.0``) or ``other`` plus a free-form ``license_name``,
so this module normalises the id and looks it up in a small table of known licences. An id it
does not know is *unknown* (``open_source is None``), never silently "not open source".
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LicenseInfo:
    """What a license allows, as far as the open-source exemption tests need.

    ``open_source`` is True when the licence allows access, use, modification and distribution
    with no commercial or use restriction, False when it does not, and None when unknown.
    ``restricts_commercial`` and ``has_use_restrictions`` are None when unknown.
    """

    identifier: str
    display_name: str
    open_source: bool | None
    restricts_commercial: bool | None
    has_use_restrictions: bool | None
    note: str

    @property
    def known(self) -> bool:
        """True when the identifier was recognised."""
        return self.open_source is not None


def _permissive(name: str) -> tuple[str, bool, bool, bool, str]:
    return (name, True, False, False, "permissive open-source licence")


def _copyleft(name: str) -> tuple[str, bool, bool, bool, str]:
    return (name, True, False, False, "copyleft open-source licence: sharing terms, no use restriction")


def _noncommercial(name: str) -> tuple[str, bool, bool, bool, str]:
    return (name, False, True, False, "forbids commercial use")


def _rail(name: str) -> tuple[str, bool, bool, bool, str]:
    # RAIL licences allow commercial use but bind every downstream user to a list of
    # behavioural use restrictions, which the brief's open-source test (no use restriction)
    # does not allow; the Commission's guidelines tolerate only proportionate safety terms.
    return (name, False, False, True, "responsible-AI licence with behavioural use restrictions")


# id -> (display name, open_source, restricts_commercial, has_use_restrictions, note)
_TABLE: dict[str, tuple[str, bool, bool, bool, str]] = {
    "apache-2.0": _permissive("Apache License 2.0"),
    "mit": _permissive("MIT License"),
    "bsd": _permissive("BSD License"),
    "bsd-2-clause": _permissive("BSD 2-Clause License"),
    "bsd-3-clause": _permissive("BSD 3-Clause License"),
    "bsd-3-clause-clear": _permissive("BSD 3-Clause Clear License"),
    "isc": _permissive("ISC License"),
    "zlib": _permissive("zlib License"),
    "bsl-1.0": _permissive("Boost Software License 1.0"),
    "unlicense": _permissive("The Unlicense"),
    "cc0-1.0": _permissive("CC0 1.0 (public domain dedication)"),
    "wtfpl": _permissive("WTFPL"),
    "pddl": _permissive("Open Data Commons Public Domain Dedication"),
    "odc-by": _permissive("Open Data Commons Attribution License"),
    "cc-by-2.0": _permissive("Creative Commons Attribution 2.0"),
    "cc-by-2.5": _permissive("Creative Commons Attribution 2.5"),
    "cc-by-3.0": _permissive("Creative Commons Attribution 3.0"),
    "cc-by-4.0": _permissive("Creative Commons Attribution 4.0"),
    "afl-3.0": _permissive("Academic Free License 3.0"),
    "artistic-2.0": _permissive("Artistic License 2.0"),
    "ecl-2.0": _permissive("Educational Community License 2.0"),
    "ms-pl": _permissive("Microsoft Public License"),
    "postgresql": _permissive("PostgreSQL License"),
    "ncsa": _permissive("University of Illinois/NCSA Open Source License"),
    "ofl-1.1": _permissive("SIL Open Font License 1.1"),
    "mpl-2.0": _copyleft("Mozilla Public License 2.0"),
    "epl-1.0": _copyleft("Eclipse Public License 1.0"),
    "epl-2.0": _copyleft("Eclipse Public License 2.0"),
    "eupl-1.1": _copyleft("European Union Public License 1.1"),
    "eupl-1.2": _copyleft("European Union Public License 1.2"),
    "lgpl-2.1": _copyleft("GNU LGPL 2.1"),
    "lgpl-3.0": _copyleft("GNU LGPL 3.0"),
    "lgpl-lr": _copyleft("GNU LGPL for Linguistic Resources"),
    "gpl": _copyleft("GNU GPL"),
    "gpl-2.0": _copyleft("GNU GPL 2.0"),
    "gpl-3.0": _copyleft("GNU GPL 3.0"),
    "agpl-3.0": _copyleft("GNU AGPL 3.0"),
    "osl-3.0": _copyleft("Open Software License 3.0"),
    "cc-by-sa-3.0": _copyleft("Creative Commons Attribution-ShareAlike 3.0"),
    "cc-by-sa-4.0": _copyleft("Creative Commons Attribution-ShareAlike 4.0"),
    "odbl": _copyleft("Open Database License"),
    "cdla-permissive-1.0": _permissive("Community Data License Agreement – Permissive 1.0"),
    "cdla-permissive-2.0": _permissive("Community Data License Agreement – Permissive 2.0"),
    "cdla-sharing-1.0": _copyleft("Community Data License Agreement – Sharing 1.0"),
    "cc-by-nd-4.0": (
        "Creative Commons Attribution-NoDerivatives 4.0",
        False,
        False,
        False,
        "forbids sharing modified versions",
    ),
    "cc-by-nc-2.0": _noncommercial("Creative Commons Attribution-NonCommercial 2.0"),
    "cc-by-nc-3.0": _noncommercial("Creative Commons Attribution-NonCommercial 3.0"),
    "cc-by-nc-4.0": _noncommercial("Creative Commons Attribution-NonCommercial 4.0"),
    "cc-by-nc-nd-3.0": _noncommercial("Creative Commons Attribution-NonCommercial-NoDerivatives 3.0"),
    "cc-by-nc-nd-4.0": _noncommercial("Creative Commons Attribution-NonCommercial-NoDerivatives 4.0"),
    "cc-by-nc-sa-2.0": _noncommercial("Creative Commons Attribution-NonCommercial-ShareAlike 2.0"),
    "cc-by-nc-sa-3.0": _noncommercial("Creative Commons Attribution-NonCommercial-ShareAlike 3.0"),
    "cc-by-nc-sa-4.0": _noncommercial("Creative Commons Attribution-NonCommercial-ShareAlike 4.0"),
    "c-uda": _noncommercial("Computational Use of Data Agreement"),
    "openrail": _rail("OpenRAIL"),
    "openrail++": _rail("OpenRAIL++-M"),
    "creativeml-openrail-m": _rail("CreativeML OpenRAIL-M"),
    "bigscience-openrail-m": _rail("BigScience OpenRAIL-M"),
    "bigscience-bloom-rail-1.0": _rail("BigScience BLOOM RAIL 1.0"),
    "bigcode-openrail-m": _rail("BigCode OpenRAIL-M"),
    "gemma": _rail("Gemma Terms of Use"),
    "deepseek": _rail("DeepSeek License Agreement"),
    "nvidia-open-model-license": _rail("NVIDIA Open Model License"),
    "falcon": _rail("TII Falcon License"),
    "qwen-research": _noncommercial("Qwen Research License"),
    "mistral-research": _noncommercial("Mistral AI Research License"),
    "mistral-non-production": _noncommercial("Mistral AI Non-Production License"),
    "apple-ascl": _noncommercial("Apple Sample Code License"),
    "apple-amlr": _noncommercial("Apple Machine Learning Research Model License"),
    "fair-noncommercial-research": _noncommercial("FAIR Noncommercial Research License"),
    "llama-research": _noncommercial("LLaMA (v1) research licence"),
}

# Community licences that allow commercial use up to a cap on the licensee's users (the Llama
# licences: 700 million monthly active users; Tongyi Qianwen: 100 million) and bind users to an
# acceptable-use policy: both a commercial and a use restriction.
_CAPPED: dict[str, str] = {
    "llama2": "Llama 2 Community License",
    "llama3": "Meta Llama 3 Community License",
    "llama3.1": "Llama 3.1 Community License",
    "llama3.2": "Llama 3.2 Community License",
    "llama3.3": "Llama 3.3 Community License",
    "llama4": "Llama 4 Community License",
    "tongyi-qianwen": "Tongyi Qianwen License Agreement",
    "yi": "Yi Series Models Community License",
    "baichuan": "Baichuan 2 Model Community License",
    "chatglm": "ChatGLM / GLM model license",
    "tencent-hunyuan": "Tencent Hunyuan Community License",
}
for _id, _name in _CAPPED.items():
    _TABLE[_id] = (
        _name,
        False,
        True,
        True,
        "community licence: commercial use capped by user count or needing a separate grant, "
        "plus an acceptable-use policy",
    )

# Spellings seen on cards, mapped to the table's ids.
_ALIASES: dict[str, str] = {
    "apache-2": "apache-2.0",
    "apache2": "apache-2.0",
    "apache": "apache-2.0",
    "apache-license-2.0": "apache-2.0",
    "mit-license": "mit",
    "cc-by": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-by-nc": "cc-by-nc-4.0",
    "cc-by-nc-sa": "cc-by-nc-sa-4.0",
    "open-rail": "openrail",
    "openrail-m": "openrail",
    "openrail++-m": "openrail++",
    "llama-2": "llama2",
    "llama-3": "llama3",
    "llama-3.1": "llama3.1",
    "llama-3.2": "llama3.2",
    "llama-3.3": "llama3.3",
    "llama-4": "llama4",
    "qwen": "tongyi-qianwen",
    "tongyi-qianwen-license-agreement": "tongyi-qianwen",
    "tongyi-qianwen-research": "qwen-research",
    "deepseek-license": "deepseek",
    "deepseek-license-agreement": "deepseek",
    "mrl": "mistral-research",
    "mistral-ai-research-licence": "mistral-research",
    "mistral-ai-research-license": "mistral-research",
    "mnpl": "mistral-non-production",
    "mistral-ai-non-production-license": "mistral-non-production",
    "gemma-terms-of-use": "gemma",
    "nvidia-open-model-license-agreement": "nvidia-open-model-license",
    "yi-license": "yi",
    "baichuan2": "baichuan",
    "glm-4": "chatglm",
    "chatglm3": "chatglm",
    "tencent-hunyuan-community": "tencent-hunyuan",
    "tii-falcon-license": "falcon",
    "falcon-llm-license": "falcon",
}

# Ordered (prefix or substring, id) fallbacks for names that carry a version or suffix the
# table does not list, e.g. "llama3.1-community-license" or "falcon-mamba-7b-license".
_PREFIXES: list[tuple[str, str]] = [
    ("llama4", "llama4"),
    ("llama3.3", "llama3.3"),
    ("llama3.2", "llama3.2"),
    ("llama3.1", "llama3.1"),
    ("llama3", "llama3"),
    ("llama2", "llama2"),
    ("cc-by-nc-sa", "cc-by-nc-sa-4.0"),
    ("cc-by-nc-nd", "cc-by-nc-nd-4.0"),
    ("cc-by-nc", "cc-by-nc-4.0"),
    ("qwen-research", "qwen-research"),
    ("tongyi-qianwen", "tongyi-qianwen"),
    ("deepseek", "deepseek"),
    ("gemma", "gemma"),
    ("falcon", "falcon"),
    ("mistral-research", "mistral-research"),
    ("nvidia-open-model", "nvidia-open-model-license"),
    ("baichuan", "baichuan"),
    ("hunyuan", "tencent-hunyuan"),
]

_UNKNOWN_IDS = {"", "other", "unknown", "none", "custom", "proprietary"}

_SPACES = re.compile(r"[\s_]+")


def normalize_license_id(identifier: str) -> str:
    """Lower-case, hyphenated form of a licence id (``"Llama 3.1"`` -> ``"llama-3.1"``)."""
    text = _SPACES.sub("-", identifier.strip().lower()[:200])
    return text.strip("-")


def _lookup(norm: str) -> str | None:
    if norm in _TABLE:
        return norm
    if norm in _ALIASES:
        return _ALIASES[norm]
    # "llama-3.1-community" and "llama3.1" should meet: compare without the hyphen after "llama".
    squeezed = norm.replace("llama-", "llama")
    if squeezed in _TABLE:
        return squeezed
    for prefix, target in _PREFIXES:
        if squeezed.startswith(prefix):
            return target
    if "openrail" in norm or norm.endswith("-rail") or "-rail-" in norm:
        return "openrail"
    return None


def classify_license(identifier: str | None) -> LicenseInfo:
    """Classify a licence id from a card (``license``, or ``license_name`` when it is ``other``).

    Unknown or missing ids give ``open_source=None`` (unknown) rather than False.
    """
    if identifier is None:
        return LicenseInfo("", "no licence declared", None, None, None, "the card declares no licence")
    norm = normalize_license_id(str(identifier))
    if norm in _UNKNOWN_IDS:
        return LicenseInfo(
            norm,
            "other / unspecified licence" if norm else "no licence declared",
            None,
            None,
            None,
            f"licence {norm or 'missing'!r} does not say what it allows; read the licence text",
        )
    key = _lookup(norm)
    if key is None:
        return LicenseInfo(
            norm, str(identifier).strip()[:200], None, None, None, f"licence {norm!r} is not in the known table"
        )
    display, open_source, commercial, use, note = _TABLE[key]
    return LicenseInfo(key, display, open_source, commercial, use, note)
