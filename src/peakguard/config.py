"""Settings, read once from the environment (``PEAKGUARD_*``) so the same code runs embedded or
scaled out: only the URLs change (ARCHITECTURE: two deployments)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator may change without touching code."""

    model_config = SettingsConfigDict(env_prefix="PEAKGUARD_", extra="ignore")

    database_url: str = "sqlite:///peakguard.db"
    plan: Path | None = None
    """A user's plan YAML; ``None`` means the plan shipped in the package."""
    bus_url: str = "memory://"
    timezone: str = "Asia/Shanghai"
    language: str = "zh_CN"
    secret_key: str | None = None
    """Signs session cookies. Unset: a random key made on first start and kept in ``data_dir``
    (``peakguard/secret_key.py``); there is no built-in default anyone could know."""
    data_dir: Path | None = None
    """Where the generated secret key lives; unset: beside the SQLite file, else the current
    directory."""
    cookie_secure: bool = False
    """Behind TLS: the session cookie is sent over HTTPS only."""
    hsts_seconds: int = 0
    """Behind TLS: send ``Strict-Transport-Security`` with this max-age (0: not sent)."""
    session_idle_minutes: int = 720
    """A page session unused this long ends (12 h)..."""
    session_max_hours: int = 24
    """...and any session ends this long after the login, used or not."""
    token_days: int = 30
    """How long an API token lives unless its creator chose otherwise."""
    login_max_failures: int = 5
    """Wrong passwords in a row before an account is locked for a while (doubling each time)."""
    login_address_failures: int = 20
    """Failed logins from one client address within 10 minutes before it must wait."""
    login_concurrency: int = 1
    """Password checks (argon2, ~50 ms of a core each) running at once; more queue or get 429."""
    max_body_bytes: int = 1_048_576
    """Largest request body (1 MiB) except on the routes below."""
    max_events_body_bytes: int = 16_777_216
    """Largest event batch posted to ``/api/v1/events`` (16 MiB)."""
    tick_seconds: float = 1.0
    """How often the deadline ticker inside ``peakguard serve`` looks for due timers."""
    clock_start: datetime | None = None
    """Simulated time for drills and the demo: the server's clock starts here..."""
    clock_speed: float = 1.0
    """...and runs this many times as fast as the wall clock."""
    metrics_token: SecretStr | None = None
    """The bearer token Prometheus scrapes ``/metrics`` with (admins may use their own)."""
    chat_dingtalk_secret: SecretStr | None = None
    """The DingTalk robot's AppSecret: signs its outgoing callbacks (``/api/v1/chat/dingtalk``).
    Unset: DingTalk callbacks are refused. The chat secrets have no default anyone could know."""
    chat_feishu_encrypt_key: SecretStr | None = None
    """The Feishu app's Encrypt Key: signs (and, when set there, encrypts) its event callbacks."""
    chat_feishu_verification_token: SecretStr | None = None
    """The Feishu app's Verification Token; when set, every event must carry it."""
    chat_wecom_token: SecretStr | None = None
    """The WeCom app's callback Token (signs), ..."""
    chat_wecom_aes_key: SecretStr | None = None
    """... its EncodingAESKey (43 characters, encrypts) ..."""
    chat_wecom_corp_id: str | None = None
    """... and the CorpID the messages must be addressed to."""
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object per log line, for a log collector (``serve --log-format``)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
