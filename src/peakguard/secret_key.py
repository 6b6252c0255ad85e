"""The key that signs session cookies (issue 13 item 1).

There is no built-in default: a key everyone can read in the source lets anyone forge an admin
session. ``PEAKGUARD_SECRET_KEY`` wins when set (at least 32 characters; several servers behind
one proxy must share it); otherwise the first start writes 48 random bytes to
``peakguard-secret.key`` in the data directory (beside the SQLite file, or ``PEAKGUARD_DATA_DIR``),
readable by its owner only, and every later start reads it back. Changing or deleting the key
ends every session signed with the old one (rotation)."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

from peakguard.config import Settings

log = logging.getLogger(__name__)

KEY_FILE = "peakguard-secret.key"
MIN_LENGTH = 32
KNOWN_BAD = {"change-me-in-production", "changeme", "secret"}


class SecretKeyError(RuntimeError):
    """The configured key cannot be used; the message says why and what to do."""


def data_dir(settings: Settings, database_url: str) -> Path:
    """``PEAKGUARD_DATA_DIR``, else the SQLite file's folder, else the current directory."""
    if settings.data_dir is not None:
        return settings.data_dir
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return Path.cwd()


def secret_key(settings: Settings, database_url: str) -> str:
    if settings.secret_key is not None:
        key = settings.secret_key
        if key.lower() in KNOWN_BAD or len(key) < MIN_LENGTH:
            raise SecretKeyError(
                f"PEAKGUARD_SECRET_KEY must be a random string of at least {MIN_LENGTH} characters "
                "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`), "
                "or unset to let PeakGuard make one"
            )
        return key
    return _key_file(data_dir(settings, database_url) / KEY_FILE)


def _key_file(path: Path) -> str:
    """Read the key, or make it if it is not there yet. The key is written to a private temporary
    file first and then hard-linked into place, which fails if the name exists: of several
    workers starting at once exactly one key wins, and nobody ever reads a half-written file."""
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        os.link(tmp, path)
        log.warning("made a new session key in %s (keep it private; delete it to end all sessions)", path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read(path)


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("%s was readable by others (mode %o); now 600", path, mode)
    key = path.read_text().strip()
    if len(key) < MIN_LENGTH:
        raise SecretKeyError(f"{path} holds no usable key (edited by hand?); delete it and start again")
    return key
