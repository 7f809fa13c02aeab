"""Settings from the environment: typed, validated, never read at import."""

import os
from pathlib import Path

import pytest

from ngen_connect import load_settings
from ngen_connect.errors import ConfigurationError


def test_threads_and_admin_key_come_from_the_environment() -> None:
    settings = load_settings({"NGEN_CONNECT_THREADS": "3", "NGEN_CONNECT_ADMIN_KEY": "k" * 20})
    assert settings.threads == 3 and settings.admin_key == "k" * 20
    assert "k" * 20 not in repr(settings), "the key never shows in logs"
    assert 1 <= load_settings({}).threads <= 4
    # Processes serving side by side share the cores, unless the environment sets the threads.
    cores = min(len(os.sched_getaffinity(0)), 4)
    assert load_settings({}, processes=2).threads == max(1, cores // 2)
    assert load_settings({"NGEN_CONNECT_THREADS": "3"}, processes=2).threads == 3
    for bad in ("0", "two", "-1"):
        with pytest.raises(ConfigurationError, match="THREADS"):
            load_settings({"NGEN_CONNECT_THREADS": bad})
    with pytest.raises(ConfigurationError, match="ADMIN_KEY"):
        load_settings({"NGEN_CONNECT_ADMIN_KEY": "short"})


def test_settings_travel_to_another_process_through_the_environment(tmp_path: Path) -> None:
    """`serve --workers N` hands its settings to each worker as NGEN_CONNECT_* variables."""
    settings = load_settings(
        {"NGEN_CONNECT_ADMIN_KEY": "k" * 20, "NGEN_CONNECT_THREADS": "3"},
        data_dir=tmp_path / "data",
        model="fake:32",
        batch_size=8,
    )
    assert load_settings(settings.environment()) == settings
    assert "NGEN_CONNECT_ADMIN_KEY" not in load_settings({}).environment()


def test_the_search_log_is_set_on_or_off_with_its_retention() -> None:
    assert load_settings({}).search_log is None, "the front decides: on for the server"
    assert load_settings({"NGEN_CONNECT_SEARCH_LOG": "off"}).search_log is False
    assert load_settings({"NGEN_CONNECT_SEARCH_LOG": "ON"}).search_log is True
    assert load_settings({"NGEN_CONNECT_SEARCH_LOG": "on"}, search_log=False).search_log is False
    assert load_settings({}).search_log_days == 180
    settings = load_settings({"NGEN_CONNECT_SEARCH_LOG_DAYS": "30"}, search_log=False)
    again = load_settings(settings.environment())
    assert (again.search_log, again.search_log_days) == (False, 30)
    with pytest.raises(ConfigurationError, match="SEARCH_LOG must be on or off"):
        load_settings({"NGEN_CONNECT_SEARCH_LOG": "maybe"})
    for bad in ("0", "-5", "six months"):
        with pytest.raises(ConfigurationError, match="SEARCH_LOG_DAYS"):
            load_settings({"NGEN_CONNECT_SEARCH_LOG_DAYS": bad})
