"""Pseudonyms: a keyed hash (HMAC-SHA256) of a person's database id.

The same secret gives the same pseudonym in every export, so exports can be joined over
time; another secret gives unrelated pseudonyms; without the secret a pseudonym cannot be
traced back to a person. The secret comes from configuration, never from the database:

- `COACHBOT_EXPORT_SECRET` (the secret itself), or
- `COACHBOT_EXPORT_SECRET_FILE` (a file holding it), or a `--secret-file` option.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from bot.errors import CoachbotError

ENV_SECRET = "COACHBOT_EXPORT_SECRET"
ENV_SECRET_FILE = "COACHBOT_EXPORT_SECRET_FILE"
MIN_SECRET_LENGTH = 16
PREFIX = {"participant": "P", "coach": "C", "coordinator": "K"}
HEX_DIGITS = 12  # 48 bits: collisions are negligible for thousands of people


class SecretError(CoachbotError):
    """No usable export secret is configured."""


HOW_TO = (
    f"set {ENV_SECRET} to a long random string, or {ENV_SECRET_FILE} to a file holding one "
    '(make one with: python -c "import secrets; print(secrets.token_hex(32))" > '
    "export-secret.txt). Keep it: the same secret gives the same pseudonyms."
)


def load_secret(path: Path | None = None, env: Mapping[str, str] | None = None) -> bytes:
    """The export secret from `path`, else the environment; raises SecretError."""
    env = os.environ if env is None else env
    source, text = "", None
    if path is not None:
        source, text = str(path), _read(path)
    elif env.get(ENV_SECRET):
        source, text = ENV_SECRET, env[ENV_SECRET]
    elif env.get(ENV_SECRET_FILE):
        source, text = env[ENV_SECRET_FILE], _read(Path(env[ENV_SECRET_FILE]))
    if text is None:
        raise SecretError(f"no export secret: {HOW_TO}")
    secret = text.strip().encode("utf-8")
    if len(secret) < MIN_SECRET_LENGTH:
        raise SecretError(
            f"the export secret from {source} is shorter than {MIN_SECRET_LENGTH} characters"
        )
    return secret


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise SecretError(f"cannot read the export secret file {path}: {err.strerror}") from err


class Pseudonyms:
    """Maps person ids to pseudonyms like "P-3f9a0c12be47" (P participant, C coach)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def digest(self, person_id: int) -> str:
        mac = hmac.new(self._secret, f"person:{person_id}".encode(), hashlib.sha256)
        return mac.hexdigest()[:HEX_DIGITS]

    def of(self, person_id: int | None, role: str = "participant") -> str:
        """The pseudonym of a person ("" for none)."""
        if person_id is None:
            return ""
        return f"{PREFIX.get(role, 'X')}-{self.digest(person_id)}"
