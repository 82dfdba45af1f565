"""Fuzzing what names a model: ``PATH_OR_ID``, hub model ids and revisions.

Inputs start as well-formed ``ORG/NAME@REVISION`` and get hostile edits: look-alike and
invisible characters, NUL, path syntax (``~user``, ``./``, ``..``), URL syntax, separators
doubled, parts at and past the length limits, pull-request refs with huge numbers. Whatever
is accepted must be safe to put in a hub URL: ASCII, no path traversal, no URL syntax.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.targets import Target, parse_target, validate_model_id, validate_revision
from tests.fuzzing import HOSTILE_STRINGS, feed, fuzz_settings

pytestmark = pytest.mark.fuzz

PARTS = st.one_of(
    st.sampled_from(["meta-llama", "Llama-3.1-8B", "a", "A" * 96, "a" * 97, "x.y_z", "gpt2", "org", "name"]),
    st.text(alphabet="abcAZ09._-", min_size=1, max_size=12),
)
REVISIONS = st.one_of(
    st.sampled_from(["main", "v1.0", "0" * 40, "refs/pr/1", "refs/pr/" + "9" * 20, "refs/heads/main", "a" * 256]),
    st.text(alphabet="abc09._+-/", max_size=12),
)
INSERTS = st.one_of(
    st.sampled_from(["\x00", "~\x00", "а", "／", "..", "--", " ", "%2F", "~", "~nosuchuser/", "./", "../", "/", "@",
                     "@@", "://", "?", "#", "\\", "\n", "\u200b", "\udc80", "ß", "İ", "ﬁ"]),
    st.sampled_from(HOSTILE_STRINGS),
)  # fmt: skip


@st.composite
def target_texts(draw: st.DrawFn) -> str:
    text = f"{draw(PARTS)}/{draw(PARTS)}"
    if draw(st.booleans()):
        text += "@" + draw(REVISIONS)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(INSERTS) + text[at:]
    return text


def _safe_in_a_url(target: Target) -> None:
    assert target.model_id is not None
    assert target.model_id.isascii() and target.model_id.count("/") == 1 and ".." not in target.model_id
    if target.revision is not None:
        assert target.revision.isascii() and ".." not in target.revision


@fuzz_settings(300)
@given(target_texts())
def test_a_target_is_a_path_an_id_or_a_usage_error(text: str) -> None:
    outcome = feed("model id and revision", lambda: parse_target(text))
    if isinstance(outcome, Target) and not outcome.is_local:
        _safe_in_a_url(outcome)


@fuzz_settings(200)
@given(st.one_of(target_texts(), st.text(max_size=40)), st.one_of(st.none(), REVISIONS, INSERTS))
def test_ids_and_revisions_are_validated_or_refused(model_id: str, revision: str | None) -> None:
    feed("model id and revision", lambda: (validate_model_id(model_id), validate_revision(revision)))
