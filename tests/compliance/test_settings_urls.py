"""Service URLs (the hub endpoint, a compliance server): http(s) with a host, or a usage error."""

from __future__ import annotations

import pytest

from compliance.errors import ExitCode, UsageError
from compliance.settings import http_url, load_settings

BAD_URLS = [
    ("file:///etc/passwd", "scheme is file:"),
    ("huggingface.co", "scheme is missing"),
    ("ftp://example.org", "scheme is ftp:"),
    ("https://hugging face.co", "spaces"),
    ("https://example.org\n", "spaces or control"),
    ("https://example.org:99999", "port"),
    ("https://example.org:http", "port"),
    ("https://example.org:0", "port"),
    ("https://user:secret@example.org", "user name or password"),
    ("https://@example.org", "user name or password"),
    ("https://", "host name"),
    ("https://exa_mple.org", "host name"),
    ("https://-bad.org", "host name"),
    ("https://[::zz]/", "host name"),
    ("http://[::1", "host name"),
    ("https://example.org/?token=x", "query or fragment"),
    ("https://example.org/#top", "query or fragment"),
    ("", "empty"),
]


@pytest.mark.parametrize(("url", "why"), BAD_URLS)
def test_malformed_urls_are_usage_errors_naming_the_option(url: str, why: str) -> None:
    with pytest.raises(UsageError, match=why) as info:
        http_url(url, "--endpoint")
    assert info.value.exit_code == ExitCode.INPUT
    assert info.value.message.startswith("--endpoint must be an http(s) URL")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://huggingface.co", "https://huggingface.co"),
        ("https://huggingface.co/", "https://huggingface.co"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("HTTPS://Mirror.Example.org/hf/", "HTTPS://Mirror.Example.org/hf"),
        ("http://[::1]:5000", "http://[::1]:5000"),
        ("https://bücher.example", "https://bücher.example"),
        ("http://localhost", "http://localhost"),
    ],
)
def test_good_urls_pass_without_a_trailing_slash(url: str, expected: str) -> None:
    assert http_url(url, "--endpoint") == expected


@pytest.mark.parametrize("variable", ["COMPLIANCE_HF_ENDPOINT", "HF_ENDPOINT"])
@pytest.mark.parametrize(("url", "why"), BAD_URLS[:8])
def test_a_malformed_endpoint_in_the_environment_is_a_settings_error(variable: str, url: str, why: str) -> None:
    if not url:
        pytest.skip("an empty variable means unset")
    with pytest.raises(UsageError, match=why) as info:
        load_settings({variable: url})
    assert info.value.message.startswith(f"{variable} must be")
