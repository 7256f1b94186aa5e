"""Unguessable tokens for links that open without an account (invitation replies, action updates).

A token is 32 random bytes from ``secrets`` (256 bits), URL-safe. Only its SHA-256 is stored, so a copy
of the database does not contain working links.
"""

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
