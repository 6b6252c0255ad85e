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
    secret_key: str = "change-me-in-production"
    tick_seconds: float = 1.0
    """How often the deadline ticker inside ``peakguard serve`` looks for due timers."""
    clock_start: datetime | None = None
    """Simulated time for drills and the demo: the server's clock starts here..."""
    clock_speed: float = 1.0
    """...and runs this many times as fast as the wall clock."""
    metrics_token: SecretStr | None = None
    """The bearer token Prometheus scrapes ``/metrics`` with (admins may use their own)."""
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object per log line, for a log collector (``serve --log-format``)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
