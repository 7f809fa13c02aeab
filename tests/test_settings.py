"""Settings from the environment: typed, validated, never read at import."""

import pytest

from ngen_connect import load_settings
from ngen_connect.errors import ConfigurationError


def test_threads_and_admin_key_come_from_the_environment() -> None:
    settings = load_settings({"NGEN_CONNECT_THREADS": "3", "NGEN_CONNECT_ADMIN_KEY": "k" * 20})
    assert settings.threads == 3 and settings.admin_key == "k" * 20
    assert "k" * 20 not in repr(settings), "the key never shows in logs"
    assert 1 <= load_settings({}).threads <= 4
    for bad in ("0", "two", "-1"):
        with pytest.raises(ConfigurationError, match="THREADS"):
            load_settings({"NGEN_CONNECT_THREADS": bad})
    with pytest.raises(ConfigurationError, match="ADMIN_KEY"):
        load_settings({"NGEN_CONNECT_ADMIN_KEY": "short"})
