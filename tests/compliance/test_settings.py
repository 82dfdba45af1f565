from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import UsageError
from compliance.settings import DEFAULT_ENDPOINT, debug_enabled, load_settings, rules_cache_dir


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert settings.hf_endpoint == DEFAULT_ENDPOINT
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_broker_url.startswith("sqla+sqlite:///")
    assert settings.hf_token is None and not settings.hub_offline


def test_compliance_variables_win_over_hub_conventions() -> None:
    env = {
        "COMPLIANCE_HF_ENDPOINT": "http://127.0.0.1:9999/",
        "HF_ENDPOINT": "http://elsewhere.invalid",
        "HF_TOKEN": "hf_fallback",
        "COMPLIANCE_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "COMPLIANCE_HUB_OFFLINE": "yes",
        "COMPLIANCE_HUB_BUDGET": "2.5",
        "COMPLIANCE_RULES": "a.yaml:b",
    }
    settings = load_settings(env)
    assert settings.hf_endpoint == "http://127.0.0.1:9999"
    assert settings.hf_token == "hf_fallback"
    assert settings.effective_database_url == "postgresql+psycopg://u@h/db"
    assert settings.hub_offline is True and settings.hub_budget == 2.5
    assert settings.rules_paths == (Path("a.yaml"), Path("b"))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COMPLIANCE_HUB_OFFLINE": "maybe"}, "true or false"),
        ({"COMPLIANCE_HUB_TIMEOUT": "soon"}, "must be a number"),
        ({"COMPLIANCE_HUB_TIMEOUT": "0"}, "at least"),
        ({"COMPLIANCE_HF_ENDPOINT": "ftp://x"}, "http"),
        ({"COMPLIANCE_ENV": "production"}, "SECRET_KEY"),
        ({"COMPLIANCE_API_BURST": "0"}, "at least 1"),
        ({"COMPLIANCE_API_PER_MINUTE": "inf"}, "whole number"),
        ({"COMPLIANCE_QUEUE_DEPTH": "2.5"}, "whole number"),
    ],
)
def test_bad_values_are_usage_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_settings(env)


def test_overrides_ignore_unset_options() -> None:
    settings = load_settings({}).with_overrides(hf_endpoint=None, hub_offline=True, unknown="x")
    assert settings.hf_endpoint == DEFAULT_ENDPOINT and settings.hub_offline is True


def test_debug_flag() -> None:
    assert debug_enabled({"COMPLIANCE_DEBUG": "1"}) and not debug_enabled({})


def test_submission_limits_and_queue_depth() -> None:
    defaults = load_settings({})
    assert defaults.api_burst < 35 <= defaults.api_per_minute and defaults.queue_depth > defaults.api_per_minute
    env = {"COMPLIANCE_API_BURST": "5", "COMPLIANCE_API_PER_MINUTE": "50", "COMPLIANCE_QUEUE_DEPTH": "7"}
    settings = load_settings(env)
    assert (settings.api_burst, settings.api_per_minute, settings.queue_depth) == (5, 50, 7)


@pytest.mark.parametrize(
    ("env", "storage"),
    [
        ({}, "memory://"),
        ({"COMPLIANCE_BROKER_URL": "amqp://guest@127.0.0.1//"}, "memory://"),
        ({"COMPLIANCE_BROKER_URL": "redis://127.0.0.1:6379/3"}, "redis://127.0.0.1:6379/3"),
        (
            {"COMPLIANCE_BROKER_URL": "amqp://127.0.0.1//", "COMPLIANCE_RESULT_BACKEND": "rediss://r.example/0"},
            "rediss://r.example/0",
        ),
    ],
)
def test_rate_limits_are_counted_in_the_brokers_redis(env: dict[str, str], storage: str) -> None:
    assert load_settings(env).rate_limit_storage == storage


def test_session_hours() -> None:
    assert load_settings({}).session_hours == 12.0
    assert load_settings({"COMPLIANCE_SESSION_HOURS": "0.5"}).session_hours == 0.5
    with pytest.raises(UsageError, match="COMPLIANCE_SESSION_HOURS"):
        load_settings({"COMPLIANCE_SESSION_HOURS": "0"})


def test_rules_cache_dir_follows_the_setting_then_xdg_then_home() -> None:
    assert rules_cache_dir({"COMPLIANCE_CACHE_DIR": "/srv/c", "XDG_CACHE_HOME": "/x"}) == Path("/srv/c")
    assert rules_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/compliance")
    # A relative XDG_CACHE_HOME is invalid by the XDG rules and ignored.
    assert rules_cache_dir({"XDG_CACHE_HOME": "rel"}) == Path.home() / ".cache" / "compliance"
    assert rules_cache_dir({}) == Path.home() / ".cache" / "compliance"
    for off in ("off", "OFF", "none", "0"):
        assert rules_cache_dir({"COMPLIANCE_CACHE_DIR": off}) is None


def test_storage_hosts_default_to_huggingfaces_for_huggingface_co_only() -> None:
    from compliance.settings import HUGGINGFACE_STORAGE_HOSTS

    assert load_settings({}).effective_hub_storage_hosts == HUGGINGFACE_STORAGE_HOSTS
    assert load_settings({"HF_ENDPOINT": "https://hf.co"}).effective_hub_storage_hosts == HUGGINGFACE_STORAGE_HOSTS
    assert load_settings({"HF_ENDPOINT": "https://mirror.example"}).effective_hub_storage_hosts == ()
    assert load_settings({"HF_ENDPOINT": "http://huggingface.co"}).effective_hub_storage_hosts == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("none", ()),
        ("NONE", ()),
        (
            " Storage.Example , *.cdn.example:8443,127.0.0.1:9000 ",
            ("storage.example", "*.cdn.example:8443", "127.0.0.1:9000"),
        ),
        ("[::1]:9000", ("[::1]:9000",)),
    ],
)
def test_storage_hosts_are_read_from_the_environment(raw: str, expected: tuple[str, ...]) -> None:
    settings = load_settings({"COMPLIANCE_HUB_STORAGE_HOSTS": raw})
    assert settings.hub_storage_hosts == expected
    assert settings.effective_hub_storage_hosts == expected  # the list replaces the defaults


@pytest.mark.parametrize(
    "raw",
    ["*", "*.com", "https://cdn.example", "cdn.example/path", "u@cdn.example", "cdn.example:0", "bad host", "*.[::1]"],
)
def test_a_bad_storage_host_pattern_is_a_usage_error(raw: str) -> None:
    with pytest.raises(UsageError, match="COMPLIANCE_HUB_STORAGE_HOSTS"):
        load_settings({"COMPLIANCE_HUB_STORAGE_HOSTS": raw})
