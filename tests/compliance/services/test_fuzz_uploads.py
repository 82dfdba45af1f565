"""Fuzzing uploaded metadata as a worker receives it: validated, then inspected.

The upload is whatever JSON the API could have accepted: a hostile card, config and
safetensors headers (see :func:`tests.compliance.facts.fuzz_inputs.upload_trees`), decoded
from its JSON text as the API decodes it, so nothing the API would refuse is fed here (the
API's own fuzz test covers those).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, reject

from compliance.services.uploads import inspect_uploaded, validate_uploaded
from tests.compliance.facts.fuzz_inputs import model_names, upload_trees
from tests.fuzzing import as_text, feed, fuzz_settings

pytestmark = pytest.mark.fuzz


def _check(name: str, raw: Any) -> None:
    uploaded = validate_uploaded(raw)
    inspect_uploaded(name, uploaded, declared=[], use_exact=False, settings=None)


@fuzz_settings(120)
@given(upload_trees(), model_names.filter(lambda n: n is not None))
def test_uploaded_metadata_gives_facts_or_an_input_error(tree: Any, name: str) -> None:
    text = as_text(tree)
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        reject()  # the API answers 400 for JSON it cannot decode
    feed("upload body", lambda: _check(name, raw), size=len(text), witness=text)
