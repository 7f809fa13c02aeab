"""Who may read and write what: callers, the rights each has, the admin key, and registry keys kept
as salted hashes.

    DATA_DIR/registries/access.json
    {"scan-health": [{"salt": "<hex>", "hash": "<hex of sha256(salt + key)>",
                      "owner": "<the key's owner id>"}, ...]}

The admin key (NGEN_CONNECT_ADMIN_KEY) may do everything. A registry's key reads and writes that
registry; a registry that has keys is private: its records reach no other caller. Keys are long
random tokens, not passwords, so one salted SHA-256 is enough to keep the file useless to a reader;
every comparison runs in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from ngen_connect.atomic import write_atomic
from ngen_connect.audit import command_line_actor
from ngen_connect.errors import AuthError, ForbiddenError, QueryError
from ngen_connect.text import strip_control

MIN_KEY_CHARS = 16
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
#: a rules file changed this recently before it was read is read again (coarse file-system clocks)
_RACY_NS = 2_000_000_000
_Rules = dict[str, list[dict[str, str] | str]]


def check_registry_name(name: str) -> str:
    """A registry name: lower-case letters, digits and dashes, 1 to 63 characters, nothing else."""
    if not _NAME.fullmatch(name):
        raise QueryError(
            f"'{name}' is not a registry name: use lower-case letters, digits and dashes (e.g. scan-health).",
            "Nom de registre invalide : lettres minuscules, chiffres et tirets.",
        )
    return name


def token_label(name: str) -> str:
    """A personal token's name as kept: one line, no control characters, at most 80 characters."""
    return " ".join(strip_control(name).split())[:80]


def new_key() -> str:
    """A fresh API key: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def _digest(salt: str, key: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + key.encode()).hexdigest()


@dataclass(frozen=True)
class Anonymous:
    """A caller without a key: reads public data, writes nothing."""


@dataclass(frozen=True)
class ApiKey:
    """A caller with an API key (HTTP's X-API-Key): the admin key, a registry's key, or one that
    opens nothing. The key never appears in a repr."""

    key: str = field(repr=False)


@dataclass(frozen=True)
class Operator:
    """Whoever runs the command line on the machine that holds the data: every right, no key."""


@dataclass(frozen=True)
class FeedReader:
    """Whoever holds an alert's feed address: reads what the alert's owner may read now
    (`hidden`: the private registries it may not, from `Access.owner_rights`), writes nothing
    and holds no key."""

    hidden: frozenset[str]
    alert: str


#: who asks; a new kind of caller (a personal token) is one more class here and one more case in
#: `Access.rights`
Caller: TypeAlias = Anonymous | ApiKey | Operator | FeedReader
ANONYMOUS = Anonymous()
OPERATOR = Operator()


def caller_of(key: str | None) -> Caller:
    """The caller a request's key makes: anonymous without one (or with an empty one)."""
    return ApiKey(key) if key else ANONYMOUS


def _without_key(caller: Caller) -> bool:
    return isinstance(caller, Anonymous | FeedReader) or (
        isinstance(caller, ApiKey) and not caller.key
    )


@dataclass(frozen=True)
class Rights:
    """What one caller may do."""

    admin: bool
    registries: frozenset[str]  # registries whose own key this is
    hidden: frozenset[str]  # private registries this caller cannot read

    def can_write(self, registry: str) -> bool:
        return self.admin or registry in self.registries

    def can_read(self, registry: str | None) -> bool:
        """Whether a record of `registry` (None: a member, in no registry) reaches this caller."""
        return registry not in self.hidden


class Access:
    """The access rules of one data directory, read from disk on each call (they are small), so
    `ngen-connect registry private` takes effect on a running server at once."""

    def __init__(self, data_dir: Path, admin_key: str | None = None) -> None:
        self.path = data_dir / "registries" / "access.json"
        self._admin = admin_key or None
        #: (file stamp, when it was read, rules)
        self._cached: tuple[tuple[int, int, int], int, _Rules] | None = None

    def _load(self) -> dict[str, list[dict[str, str] | str]]:
        """The rules as on disk; read again only when the file changed (every request asks).

        A change is a new inode, modification time or size. A file modified less than
        `_RACY_SECONDS` before it was read is read again every time, since another change within
        the same timestamp tick, the same size and a reused inode would look like no change."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._cached
        if cached is None or cached[0] != stamp or cached[1] - stat.st_mtime_ns < _RACY_NS:
            rules: dict[str, list[dict[str, str] | str]] = json.loads(
                self.path.read_text(encoding="utf-8")
            )
            cached = self._cached = (stamp, time.time_ns(), rules)
        return {name: list(entries) for name, entries in cached[2].items()}

    def _save(self, rules: dict[str, list[dict[str, str] | str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(rules, indent=2, sort_keys=True) + "\n")
        self._cached = None

    @staticmethod
    def _matches(entry: dict[str, str] | str, key: str) -> bool:
        if isinstance(entry, str):  # an unsalted hash written by an earlier release
            return hmac.compare_digest(entry, hashlib.sha256(key.encode()).hexdigest())
        return hmac.compare_digest(entry["hash"], _digest(entry["salt"], key))

    # -- personal tokens: a person's own key, for what is theirs (saved searches), no registry --

    @property
    def _tokens_path(self) -> Path:
        return self.path.with_name("tokens.json")

    def _tokens(self) -> dict[str, dict[str, str]]:
        try:
            stored: dict[str, dict[str, str]] = json.loads(
                self._tokens_path.read_text(encoding="utf-8")
            )
        except FileNotFoundError:
            return {}
        return stored

    def create_token(self, name: str) -> str:
        """A new personal token for `name`, kept as a salted hash: the token itself is shown
        once, here, and never stored."""
        label = token_label(name)
        if not label:
            raise QueryError("A token needs a name.", "Un jeton doit avoir un nom.")
        token = new_key()
        salt = secrets.token_hex(16)
        tokens = self._tokens()
        tokens[secrets.token_hex(4)] = {"name": label, "salt": salt, "hash": _digest(salt, token)}
        self._tokens_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self._tokens_path, json.dumps(tokens, indent=2, sort_keys=True) + "\n")
        os.chmod(self._tokens_path, 0o600)
        return token

    def tokens(self) -> list[tuple[str, str]]:
        """The personal tokens issued, as (id, name): never the token, which is not kept."""
        return sorted((token_id, entry["name"]) for token_id, entry in self._tokens().items())

    def revoke_token(self, token_id: str) -> bool:
        """Remove a personal token by its id; True when it was there. What it saved stays filed
        under it, out of reach: its alerts' feed addresses are refused from now on."""
        tokens = self._tokens()
        if tokens.pop(token_id, None) is None:
            return False
        write_atomic(self._tokens_path, json.dumps(tokens, indent=2, sort_keys=True) + "\n")
        os.chmod(self._tokens_path, 0o600)
        return True

    def _token_of(self, key: str) -> str | None:
        """The id of the personal token `key` is, if it is one."""
        for token_id, entry in self._tokens().items():
            if self._matches(entry, key):
                return token_id
        return None

    def make_private(self, registry: str, key: str) -> None:
        """Give `key` read and write on `registry`, which becomes private."""
        if len(key) < MIN_KEY_CHARS:
            raise QueryError(
                f"An API key needs at least {MIN_KEY_CHARS} characters.",
                f"Une clé d'API compte au moins {MIN_KEY_CHARS} caractères.",
            )
        rules = self._load()
        entries = [
            e for e in rules.get(check_registry_name(registry), []) if not self._matches(e, key)
        ]
        salt = secrets.token_hex(16)
        entry = {"salt": salt, "hash": _digest(salt, key), "owner": self._owner_id(key)}
        rules[registry] = [*entries, entry]
        self._save(rules)

    def revoke(self, registry: str, key: str) -> bool:
        """Remove one key of a registry; True when it was there."""
        rules = self._load()
        entries = rules.get(check_registry_name(registry), [])
        kept = [e for e in entries if not self._matches(e, key)]
        if len(kept) == len(entries):
            return False
        rules[registry] = kept
        self._save(rules)
        return True

    def make_public(self, registry: str) -> None:
        rules = self._load()
        rules.pop(check_registry_name(registry), None)
        self._save(rules)

    def rights(self, caller: Caller) -> Rights:
        """What this caller may do; an unknown key may do what no key may."""
        if isinstance(caller, Operator):
            return Rights(True, frozenset(), frozenset())
        if isinstance(caller, FeedReader):
            return Rights(False, frozenset(), caller.hidden)
        key = caller.key if isinstance(caller, ApiKey) else None
        admin = bool(
            key and self._admin and hmac.compare_digest(key.encode(), self._admin.encode())
        )
        rules = self._load()
        own = frozenset(
            name
            for name, entries in rules.items()
            if key and any(self._matches(e, key) for e in entries)
        )
        # a private registry stays private when its last key is revoked: only the admin reads it
        private = set(rules)
        hidden = frozenset() if admin else frozenset(private - own)
        return Rights(admin, own, hidden)

    def actor(self, caller: Caller) -> str:
        """Who a caller is in the audit trail, never by its key: "admin", "key:<registry>#<id>"
        (the start of the key's salted hash), "key:unknown", "anonymous", or the command line's
        user."""
        if isinstance(caller, Operator):
            return command_line_actor()
        if isinstance(caller, FeedReader):
            return f"feed:{caller.alert}"
        if _without_key(caller):
            return "anonymous"
        key = caller.key if isinstance(caller, ApiKey) else ""
        if self._admin and hmac.compare_digest(key.encode(), self._admin.encode()):
            return "admin"
        for name, entries in sorted(self._load().items()):
            for entry in entries:
                if self._matches(entry, key):
                    digest = entry if isinstance(entry, str) else entry["hash"]
                    return f"key:{name}#{digest[:8]}"
        token = self._token_of(key)
        if token is not None:
            return f"token:{self._tokens()[token]['name']}#{token}"
        return "key:unknown"

    def owner(self, caller: Caller) -> str:
        """Who owns what a caller keeps (saved searches, a shortlist), never by its key: "admin",
        "token:<name>#<id>", "key:<id>" for a registry's key (an id that stays the same while the
        key does, however often it is granted a registry again), or the command line's user. No
        key owns nothing (AuthError), nor does a key that opens nothing (ForbiddenError)."""
        rights = self.require_key(caller)
        if isinstance(caller, Operator):
            return command_line_actor()
        key = caller.key if isinstance(caller, ApiKey) else ""
        if rights.admin:
            return "admin"
        token = self._token_of(key)
        if token is not None:
            return f"token:{self._tokens()[token]['name']}#{token}"
        if not rights.registries:  # revoked since `require_key` read the rules
            raise ForbiddenError(
                "This API key opens no registry.", "Cette clé d'API n'ouvre aucun registre."
            )
        return "key:" + self._owner_id(key)

    def _owner_id(self, key: str) -> str:
        return hmac.new(self._owner_secret(), key.encode(), "sha256").hexdigest()[:20]

    def owner_rights(self, owner: str) -> Rights | None:
        """The rights of whoever owns what is filed under `owner`, as they are now, without its
        key: the admin's while the server has an admin key; what anyone may read for a personal
        token still issued; the registries a registry key still opens. None for the command
        line's user (its rights are the machine's, never lent), a token removed, a key that opens
        nothing now or one granted before keys named their owner."""
        if owner == "admin":
            return Rights(True, frozenset(), frozenset()) if self._admin else None
        rules = self._load()
        if owner.startswith("token:"):
            issued = owner.rpartition("#")[2] in self._tokens()
            return Rights(False, frozenset(), frozenset(rules)) if issued else None
        if owner.startswith("key:"):
            opens = frozenset(
                name
                for name, entries in rules.items()
                if any(isinstance(e, dict) and e.get("owner") == owner[4:] for e in entries)
            )
            return Rights(False, opens, frozenset(rules) - opens) if opens else None
        return None

    def feed_key(self, alert_id: str, owner: str) -> str:
        """The secret of one alert's feed address: it reads that feed and nothing else, so a
        feed reader never holds a key that writes (an HMAC under the data directory's secret,
        made again when asked, never stored)."""
        message = f"feed\0{alert_id}\0{owner}".encode()
        return hmac.new(self._owner_secret(), message, "sha256").hexdigest()[:40]

    def _owner_secret(self) -> bytes:
        """The data directory's own secret that names a registry key's belongings (made once)."""
        path = self.path.with_name("owners.secret")
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        made = path.with_name(f".owners.secret.{os.getpid()}.{secrets.token_hex(4)}")
        handle = os.open(made, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(secrets.token_bytes(32))
        try:  # whole or not at all: the first process to link its secret wins
            os.link(made, path)
        except FileExistsError:
            pass
        finally:
            made.unlink()
        return path.read_bytes()

    def require_write(self, caller: Caller, registry: str) -> Rights:
        """The caller's rights, when it may write to `registry`: 401 without a key, 403 with
        another key."""
        if _without_key(caller):
            raise AuthError(
                "This needs an API key (X-API-Key header).",
                "Cette opération exige une clé d'API (en-tête X-API-Key).",
            )
        rights = self.rights(caller)
        if not rights.can_write(registry):
            raise ForbiddenError(
                "This API key may not write here.", "Cette clé d'API ne permet pas d'écrire ici."
            )
        return rights

    def private(self) -> frozenset[str]:
        """The private registries (made so by a key; they stay private when their keys are all
        revoked, until `make_public`)."""
        return frozenset(self._load())

    def require_key(self, caller: Caller) -> Rights:
        """The caller's rights, when it may write somewhere: 401 without a key, 403 with a key
        that opens nothing (the admin key or a registry's key is needed)."""
        if _without_key(caller):
            raise AuthError(
                "This needs an API key (X-API-Key header).",
                "Cette opération exige une clé d'API (en-tête X-API-Key).",
            )
        rights = self.rights(caller)
        if not rights.admin and not rights.registries and not self.is_token(caller):
            raise ForbiddenError(
                "This API key is not known here: it is no personal token, registry key or admin "
                "key (it opens no registry).",
                "Cette clé d'API est inconnue ici : ni jeton personnel, ni clé de registre, ni clé "
                "d'administration (elle n'ouvre aucun registre).",
            )
        return rights

    def is_token(self, caller: Caller) -> bool:
        """Whether the caller's key is a personal token (which opens its own saved searches)."""
        return (
            isinstance(caller, ApiKey)
            and bool(caller.key)
            and self._token_of(caller.key) is not None
        )

    def require_admin(self, caller: Caller) -> Rights:
        """The caller's rights, when they are the admin's: 401 without a key, 403 with another."""
        if _without_key(caller):
            raise AuthError(
                "This needs the admin API key (X-API-Key header).",
                "Cette opération exige la clé d'API d'administration (en-tête X-API-Key).",
            )
        rights = self.rights(caller)
        if not rights.admin:
            raise ForbiddenError(
                "This needs the admin API key.",
                "Cette opération exige la clé d'API d'administration.",
            )
        return rights
