"""Token hashing, strength rules and the closed-mode token store."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from myco.auth.tokens import (
    TokenStore,
    entropy_bits,
    new_token,
    strength_problem,
    tenant_id,
)

STRONG = "0123456789abcdef0123456789abcdef"


def test_tenant_id_is_sha256_hex_of_utf8() -> None:
    token = "myco-spec-alpha-Qx7vN2pL9aR4tY8wK3mZ6bH1cJ5dF0gS"
    assert tenant_id(token) == hashlib.sha256(token.encode()).hexdigest()
    assert tenant_id("héllo") == hashlib.sha256("héllo".encode()).hexdigest()
    # Not trimmed: surrounding whitespace is part of the token.
    assert tenant_id(token + " ") != tenant_id(token)


@pytest.mark.parametrize(
    ("token", "bits"),
    [
        (STRONG, 128.0),
        ("abcdef" * 5 + "ab", 82.5),
        ("abcde" * 6 + "ab", 74.2),
        ("ab" * 16, 32.0),
        ("a" * 40, 0.0),
        ("", 0.0),
        ("myco-spec-alpha-Qx7vN2pL9aR4tY8wK3mZ6bH1cJ5dF0gS", 247.1),
    ],
)
def test_entropy_matches_reference_figures(token: str, bits: float) -> None:
    assert round(entropy_bits(token), 1) == bits


def test_strength_accepts_reference_examples() -> None:
    assert strength_problem(STRONG) is None
    assert strength_problem("abcdef" * 5 + "ab") is None


def test_strength_messages() -> None:
    assert strength_problem("abc123") == "token too short (min 32 chars)"
    assert strength_problem("x" * 31) == "token too short (min 32 chars)"
    assert strength_problem("abcde" * 6 + "ab") == "token too weak (low entropy: 74.2 < 80 bits)"
    assert strength_problem("ab" * 16) == "token too weak (low entropy: 32.0 < 80 bits)"
    # A single repeated character reads 0.0, never -0.0.
    assert strength_problem("a" * 40) == "token too weak (low entropy: 0.0 < 80 bits)"


def test_new_token_is_strong_and_unique() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert token.startswith("myco_")
        assert strength_problem(token) is None
        assert token.isascii()
        assert " " not in token


def test_store_add_and_contains(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens")
    assert not store.contains(tenant_id(STRONG))
    tid = store.add(STRONG, label="ci runner")
    assert tid == tenant_id(STRONG)
    assert store.contains(tid)
    assert store.contains(tid.upper())
    assert not store.contains(tenant_id(new_token()))
    assert not store.contains("")
    assert not store.contains("not-hex")


def test_store_file_holds_hashes_only_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tokens"
    store = TokenStore(path)
    token = new_token()
    store.add(token, label="laptop\nsecond line")
    text = path.read_text()
    assert token not in text
    assert text == f"{tenant_id(token)}  # laptop second line\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_store_add_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    store = TokenStore(path)
    first = store.add(STRONG)
    assert store.add(STRONG, label="again") == first
    assert path.read_text().splitlines() == [first]
    assert store.hashes() == [first]


def test_store_reloads_when_file_changes(tmp_path: Path) -> None:
    """``myco token add`` from another process must reach a running daemon."""
    path = tmp_path / "tokens"
    daemon_view = TokenStore(path)
    token = new_token()
    assert not daemon_view.contains(tenant_id(token))  # file does not exist yet
    TokenStore(path).add(token, label="added by the CLI")
    assert daemon_view.contains(tenant_id(token))
    # A hand edit that removes the line revokes the registration.
    path.write_text("# no tokens any more\n")
    assert not daemon_view.contains(tenant_id(token))
    path.unlink()
    assert not daemon_view.contains(tenant_id(token))
    assert len(daemon_view) == 0


def test_store_ignores_comments_and_junk(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    tid = tenant_id(STRONG)
    path.write_text(f"# header comment\n\nnot a hash\n  {tid.upper()}   # shouting\n{tid}")
    store = TokenStore(path)
    assert store.hashes() == [tid]
    other = store.add(new_token())  # appended on its own line despite no final newline
    assert store.hashes() == [tid, other]
    assert path.read_text().splitlines()[-1] == other
