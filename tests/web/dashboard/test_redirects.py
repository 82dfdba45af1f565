"""The ``next`` validator, against a real WHATWG URL parser (ada) standing in for the browser.

Properties: whatever the input, an accepted target is returned unchanged, and the
``Location`` header Werkzeug writes for it resolves, the way a browser resolves it, to the
dashboard's own origin; every plain path is accepted; every way of smuggling a second slash
(tab, CR, LF, backslash, leading space) is refused.
"""

from __future__ import annotations

import pytest
from ada_url import URL
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.test import create_environ
from werkzeug.utils import redirect

from web.dashboard.redirects import MAX_TARGET_CHARS, same_site_path

BASE = "https://dashboard.example/login?next=x"
# The characters that matter to a URL parser, often, and anything else now and then.
TRICKY = st.sampled_from([*"/\\\t\n\r\x00\x0b\x0c\x1f\x7f .:@%?#&=;~-_", "\u3000", "\u2028", "\ufeff", "\uff0f"])
HOSTILE = st.text(alphabet=st.one_of(TRICKY, st.sampled_from("evilxample"), st.characters()), max_size=40)
PLAIN_PATH = st.from_regex(r"/([A-Za-z0-9._~!$&'()*+,;=:@%-][A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(\?[A-Za-z0-9=&%/._-]*)?",
                           fullmatch=True)  # fmt: skip


def browser_target(location: str) -> URL:
    """Where a browser on the log-in page goes when it reads ``Location: location``."""
    headers = dict(redirect(location).get_wsgi_headers(create_environ(BASE)))
    return URL(headers["Location"], BASE)


@settings(max_examples=3000, deadline=None)
@given(HOSTILE)
@example("/\t/evil.example/phish")
@example("/\n/evil")
@example("/\\evil.example")
@example("\\/evil.example")
@example(" //evil.example")
@example("/\r\n/evil.example")
@example("https://evil.example/")
@example("//evil.example")
@example("/..//evil.example")
@example("/%09/evil.example")
def test_an_accepted_target_never_leaves_the_origin(target: str) -> None:
    accepted = same_site_path(target)
    if accepted is None:
        return
    assert accepted == target
    landed = browser_target(accepted)
    assert (landed.protocol, landed.host) == ("https:", "dashboard.example"), (target, landed.href)


@given(st.text(alphabet=st.sampled_from(["/", "\\", "\t", "\n", "\r", " "]), min_size=1, max_size=6),
       st.sampled_from(["evil.example", "evil.example/phish", "@evil.example"]))  # fmt: skip
def test_every_way_to_a_second_slash_is_refused(prefix: str, host: str) -> None:
    target = prefix + host
    try:
        stays = URL(target, BASE).host == "dashboard.example"
    except ValueError:  # not a URL at all (e.g. an empty host before "@")
        stays = False
    if not stays:
        assert same_site_path(target) is None, repr(target)


@given(PLAIN_PATH)
def test_plain_paths_are_accepted_unchanged(path: str) -> None:
    if path.startswith("//"):
        return
    assert same_site_path(path) == path
    assert browser_target(path).host == "dashboard.example"


@pytest.mark.parametrize(
    "target",
    ["", None, "rules", "evil.example", "javascript:alert(1)", "/\x00x", "/x\u202e", "/" + "a" * MAX_TARGET_CHARS],
)
def test_not_a_path_or_too_long_is_refused(target: str | None) -> None:
    assert same_site_path(target) is None
