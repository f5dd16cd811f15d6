"""argon2id password hashing with parameters from the configuration."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 10


def get_hasher() -> PasswordHasher:
    """A hasher with the configured cost; changing the cost triggers re-hashing."""
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return get_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return get_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return get_hasher().check_needs_rehash(password_hash)


# Spent on unknown emails so that a missing account takes as long as a wrong password.
def burn_verification_time(password: str) -> None:
    verify_password(_dummy_hash(), password)


_DUMMY: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    config = current_app.config
    key = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("not-a-real-password")
    return _DUMMY[key]


def check_password_rules(password: str) -> str | None:
    """Return why a new password is unacceptable, or None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.strip() != password:
        return "Do not start or end the password with spaces."
    return None
