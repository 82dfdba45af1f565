"""Exact parameter counts by building the model with ``transformers`` on PyTorch's meta device.

The meta device gives tensors a shape and no storage, so even a trillion-parameter model is
built in well under a second with no memory to speak of. This path is optional (the ``exact``
extra): without ``torch`` and ``transformers`` it reports itself unavailable and counts nothing.
Only architectures implemented inside ``transformers`` are built; configs that need the model's
own code (``auto_map``, ``trust_remote_code``) are never executed, so for those the answer is
``None`` unless ``architectures`` names a class that ``transformers`` implements natively.

Known differences from :mod:`compliance.facts.architectures`: transformers 5 always ties the
output head of T5 and mT5 to the embedding, whatever the config says, so untied checkpoints
(mT5, Flan-T5) come out one embedding matrix short here; and transformers does not build
multi-token-prediction modules, which the analytic count also leaves out.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from importlib.util import find_spec
from typing import Any

from compliance.facts.architectures import ParamCount

__all__ = ["count_exact", "exact_available"]

_CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9_]{0,100}$")
# Tried in order after the class the config names: the head-bearing classes first, so that
# an untied output head is counted.
_AUTO_CLASSES = ("AutoModelForCausalLM", "AutoModelForImageTextToText", "AutoModelForSeq2SeqLM")


def exact_available() -> bool:
    """True when both ``torch`` and ``transformers`` can be imported (checked without importing them)."""
    try:
        return find_spec("torch") is not None and find_spec("transformers") is not None
    except (ImportError, ValueError):
        return False


def count_exact(config: Mapping[str, Any]) -> ParamCount | None:
    """The exact parameter count of the model ``config`` describes, or ``None``.

    ``None`` means torch or transformers is missing, the architecture is not implemented in
    transformers (remote code is never trusted), or the config does not build. ``active`` is
    always ``None``: routing is not simulated.
    """
    if not isinstance(config, Mapping) or not exact_available():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _build_and_count(dict(config))
        except Exception:  # transformers raises many kinds of errors for configs it cannot build
            return None


def _native_class(transformers: Any, name: Any) -> Any:
    """The transformers model class called ``name``, if transformers implements it itself."""
    if not isinstance(name, str) or not _CLASS_NAME.match(name):
        return None
    try:
        cls = getattr(transformers, name, None)
    except Exception:  # the lazy module imports on attribute access; a broken module means "no"
        return None
    if isinstance(cls, type) and issubclass(cls, transformers.PreTrainedModel):
        return cls
    return None


def _speaks_config(cfg: Any, data: Mapping[str, Any]) -> bool:
    """True when the config class read the sizes from ``data`` rather than filling in its defaults.

    A remote-code config can name a native class whose config uses other key names (phi-msft's
    ``n_embd`` against PhiConfig's ``hidden_size``); building it would silently count the
    defaults instead of the model.
    """
    for key in ("hidden_size", "num_hidden_layers", "vocab_size"):
        if hasattr(cfg, key) and getattr(cfg, key) != data.get(key):
            return False
    return True


def _build_and_count(data: dict[str, Any]) -> ParamCount | None:
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    data.pop("auto_map", None)  # pointers to the model's own code, which is never run
    model_type = data.pop("model_type", None)
    archs = data.get("architectures")
    named = [_native_class(transformers, a) for a in archs] if isinstance(archs, list) else []
    named = [cls for cls in named if cls is not None]
    try:
        cfg = transformers.AutoConfig.for_model(model_type, **data) if isinstance(model_type, str) else None
    except (ValueError, KeyError):
        cfg = None
    if cfg is None:
        if not named:
            return None
        # e.g. Kimi-K2's "kimi_k2" type is remote code, but its declared class is DeepseekV3ForCausalLM.
        cfg = named[0].config_class(**data)
        if not _speaks_config(cfg, data):
            return None
    candidates = [cls for cls in named if isinstance(cfg, cls.config_class)]
    candidates += [getattr(transformers, name) for name in _AUTO_CLASSES]
    for cls in candidates:
        try:
            with torch.device("meta"):
                model = cls._from_config(cfg) if not cls.__name__.startswith("Auto") else cls.from_config(cfg)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        total = sum(p.numel() for p in model.parameters())
        return ParamCount(
            total=int(total),
            active=None,
            family=str(getattr(cfg, "model_type", model_type) or "unknown"),
            exact=True,
            note=f"built {type(model).__name__} on the meta device with transformers {transformers.__version__}",
        )
    return None
