"""Who may read and write what: the admin key, registry keys as salted hashes, the rules file."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from ngen_connect.errors import AuthError, ForbiddenError, QueryError
from ngen_connect.registries.access import (
    MIN_KEY_CHARS,
    Access,
    caller_of,
    check_registry_name,
    new_key,
)

ADMIN = "admin-key-0123456789-abcdef"
SIMSA_KEY = "simsa-key-0123456789-abcdef"
SCAN_KEY = "scan-key-0123456789-abcdefgh"


@pytest.fixture
def access(tmp_path: Path) -> Access:
    rules = Access(tmp_path, admin_key=ADMIN)
    rules.make_private("simsa", SIMSA_KEY)
    rules.make_private("scan-health", SCAN_KEY)
    return rules


def test_the_admin_key_may_do_everything(access: Access) -> None:
    caller = access.rights(caller_of(ADMIN))
    assert caller.admin
    assert caller.hidden == frozenset()
    assert caller.can_write("simsa") and caller.can_write("anything")
    assert access.require_admin(caller_of(ADMIN)).admin
    assert access.require_write(caller_of(ADMIN), "new-registry").admin


def test_no_admin_key_configured_means_no_admin(tmp_path: Path) -> None:
    for configured in (None, ""):
        rules = Access(tmp_path, admin_key=configured)
        assert not rules.rights(caller_of("")).admin
        assert not rules.rights(caller_of(ADMIN)).admin
        with pytest.raises(ForbiddenError):
            rules.require_admin(caller_of(ADMIN))


def test_a_registry_key_writes_and_reads_only_its_registry(access: Access) -> None:
    caller = access.require_write(caller_of(SIMSA_KEY), "simsa")
    assert not caller.admin
    assert caller.registries == {"simsa"}
    assert caller.hidden == {"scan-health"}  # reads its own private data, not another's
    assert access.rights(caller_of(SCAN_KEY)).hidden == {"simsa"}
    with pytest.raises(ForbiddenError):
        access.require_write(caller_of(SIMSA_KEY), "scan-health")
    with pytest.raises(ForbiddenError):
        access.require_write(caller_of(SIMSA_KEY), "public-registry")
    with pytest.raises(ForbiddenError):
        access.require_admin(caller_of(SIMSA_KEY))


def test_one_key_may_serve_two_registries(access: Access) -> None:
    access.make_private("scan-health", SIMSA_KEY)
    caller = access.rights(caller_of(SIMSA_KEY))
    assert caller.registries == {"simsa", "scan-health"}
    assert caller.hidden == frozenset()
    assert access.rights(caller_of(SCAN_KEY)).registries == {"scan-health"}


def test_no_key_is_an_auth_error_and_a_wrong_key_forbidden(access: Access) -> None:
    for missing in (None, ""):
        with pytest.raises(AuthError):
            access.require_write(caller_of(missing), "simsa")
        with pytest.raises(AuthError):
            access.require_admin(caller_of(missing))
    wrong = "not-a-key-of-anything-0123"
    with pytest.raises(ForbiddenError):
        access.require_write(caller_of(wrong), "simsa")
    with pytest.raises(ForbiddenError):
        access.require_admin(caller_of(wrong))
    with pytest.raises(ForbiddenError):
        access.require_write(caller_of(SIMSA_KEY[:-1]), "simsa")  # close is not enough
    # an unknown key reads what no key reads: no private registry
    assert access.rights(caller_of(wrong)) == access.rights(caller_of(None))
    assert access.rights(caller_of(None)).hidden == {"simsa", "scan-health"}
    assert not access.rights(caller_of(None)).registries


def test_keys_are_stored_salted_never_in_clear(access: Access, tmp_path: Path) -> None:
    access.make_private("third", SIMSA_KEY)  # the same key for another registry
    path = tmp_path / "registries" / "access.json"
    text = path.read_text(encoding="utf-8")
    for key in (SIMSA_KEY, SCAN_KEY, ADMIN):
        assert key not in text
        assert hashlib.sha256(key.encode()).hexdigest() not in text  # not even unsalted
    rules = json.loads(text)
    assert set(rules) == {"simsa", "scan-health", "third"}
    entries = [entry for registry in rules.values() for entry in registry]
    assert all(set(entry) == {"salt", "hash", "owner"} for entry in entries)
    # the owner id names the key's belongings (its alerts' feeds) under the data directory's
    # secret: the same for one key in two registries, another for another key
    assert rules["simsa"][0]["owner"] == rules["third"][0]["owner"]
    assert rules["simsa"][0]["owner"] != rules["scan-health"][0]["owner"]
    # one salt per key: the same key hashes differently in each registry
    assert len({entry["salt"] for entry in entries}) == len(entries) == 3
    assert rules["simsa"][0]["hash"] != rules["third"][0]["hash"]
    for registry, key in (("simsa", SIMSA_KEY), ("third", SIMSA_KEY), ("scan-health", SCAN_KEY)):
        (entry,) = rules[registry]
        expected = hashlib.sha256(bytes.fromhex(entry["salt"]) + key.encode()).hexdigest()
        assert entry["hash"] == expected


def test_giving_the_same_key_twice_keeps_one_entry(access: Access, tmp_path: Path) -> None:
    access.make_private("simsa", SIMSA_KEY)
    rules = json.loads((tmp_path / "registries" / "access.json").read_text(encoding="utf-8"))
    assert len(rules["simsa"]) == 1


def test_revoking_a_key(access: Access) -> None:
    second = new_key()
    access.make_private("simsa", second)
    assert access.revoke("simsa", SIMSA_KEY)
    assert not access.revoke("simsa", SIMSA_KEY)  # already gone
    assert not access.revoke("scan-health", second)  # not a key of that registry
    with pytest.raises(ForbiddenError):
        access.require_write(caller_of(SIMSA_KEY), "simsa")
    assert access.rights(caller_of(SIMSA_KEY)).hidden == {"simsa", "scan-health"}
    assert access.require_write(caller_of(second), "simsa").registries == {
        "simsa"
    }  # the other key works
    assert access.require_write(caller_of(SCAN_KEY), "scan-health")


def test_a_registry_stays_private_when_its_last_key_is_revoked(access: Access) -> None:
    # revoking a leaked last key must not publish the registry: only `make_public` does
    assert access.revoke("simsa", SIMSA_KEY)
    assert access.rights(caller_of(None)).hidden == {"simsa", "scan-health"}
    assert access.rights(caller_of(ADMIN)).hidden == frozenset()
    access.make_public("simsa")
    assert access.rights(caller_of(None)).hidden == {"scan-health"}
    access.make_public("scan-health")
    assert access.rights(caller_of(None)).hidden == frozenset()
    with pytest.raises(ForbiddenError):
        access.require_write(caller_of(SCAN_KEY), "scan-health")


def test_keys_made_by_an_earlier_release_still_work(tmp_path: Path) -> None:
    # earlier releases wrote one unsalted SHA-256 per key
    path = tmp_path / "registries" / "access.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"simsa": [hashlib.sha256(SIMSA_KEY.encode()).hexdigest()]}))
    access = Access(tmp_path)
    assert access.require_write(caller_of(SIMSA_KEY), "simsa").registries == {"simsa"}
    assert access.rights(caller_of(None)).hidden == {"simsa"}
    assert access.revoke("simsa", SIMSA_KEY)
    with pytest.raises(ForbiddenError):
        access.require_write(caller_of(SIMSA_KEY), "simsa")


def test_short_keys_and_bad_registry_names_are_refused(tmp_path: Path) -> None:
    access = Access(tmp_path)
    with pytest.raises(QueryError, match=str(MIN_KEY_CHARS)):
        access.make_private("simsa", "x" * (MIN_KEY_CHARS - 1))
    access.make_private("simsa", "x" * MIN_KEY_CHARS)
    for name in ("SIMSA", "-simsa", "sim sa", "../etc", "", "a" * 64):
        with pytest.raises(QueryError):
            check_registry_name(name)
        with pytest.raises(QueryError):
            access.make_private(name, SIMSA_KEY)
    assert check_registry_name("scan-health") == "scan-health"
    assert check_registry_name("a" * 63) == "a" * 63
    assert len(new_key()) >= MIN_KEY_CHARS and new_key() != new_key()


def test_no_rules_file_means_everything_is_public(tmp_path: Path) -> None:
    access = Access(tmp_path)
    assert access.rights(caller_of(None)).hidden == frozenset()
    assert not access.revoke("simsa", SIMSA_KEY)
    assert not (tmp_path / "registries" / "access.json").exists()


def test_rules_changed_by_another_process_are_read_again(access: Access, tmp_path: Path) -> None:
    server = Access(tmp_path, admin_key=ADMIN)  # a long-lived reader, such as the HTTP server
    assert server.require_write(caller_of(SIMSA_KEY), "simsa")
    assert server.rights(caller_of(None)).hidden == {"simsa", "scan-health"}
    cli = Access(tmp_path)  # `ngen-connect registry ...` in another process
    cli.revoke("simsa", SIMSA_KEY)
    with pytest.raises(ForbiddenError):
        server.require_write(caller_of(SIMSA_KEY), "simsa")
    late = new_key()
    cli.make_private("late", late)
    assert server.require_write(caller_of(late), "late").registries == {"late"}
    cli.make_public("scan-health")
    assert server.rights(caller_of(None)).hidden == {
        "late",
        "simsa",
    }  # simsa lost its only key: still private


def test_unchanged_rules_are_not_read_again(access: Access, tmp_path: Path) -> None:
    path = tmp_path / "registries" / "access.json"
    an_hour_ago = path.stat().st_mtime_ns - 3600 * 10**9
    os.utime(path, ns=(an_hour_ago, an_hour_ago))
    assert access.rights(caller_of(SIMSA_KEY)).registries == {"simsa"}
    # a file changed in place behind the cache's back, keeping its size and time, is not reread...
    path.write_text(
        path.read_text(encoding="utf-8").replace('"simsa"', '"other"'), encoding="utf-8"
    )
    os.utime(path, ns=(an_hour_ago, an_hour_ago))
    assert access.rights(caller_of(SIMSA_KEY)).registries == {"simsa"}
    # ... and is once its time changes
    os.utime(path, ns=(an_hour_ago, an_hour_ago + 1_000_000))
    assert access.rights(caller_of(SIMSA_KEY)).registries == {"other"}


def test_a_key_rotation_of_the_same_size_is_seen_within_one_timestamp_tick(
    access: Access, tmp_path: Path
) -> None:
    path = tmp_path / "registries" / "access.json"
    server = Access(tmp_path)  # a long-lived reader, such as the HTTP server
    assert server.rights(caller_of(SIMSA_KEY)).registries == {"simsa"}
    before = path.stat()
    cli = Access(tmp_path)
    cli.revoke("simsa", SIMSA_KEY)
    cli.make_private("simsa", "simsa-key-ABCDEFGHIJ-abcdef")  # same length: same file size
    after = path.stat()
    assert after.st_size == before.st_size
    # a file system with coarse timestamps gives both writes the time the reader saw; with the
    # freed inode reused (ext4 often does), nothing in the file's stat tells the change apart
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(ForbiddenError):
        server.require_write(caller_of(SIMSA_KEY), "simsa")
