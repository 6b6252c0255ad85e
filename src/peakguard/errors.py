"""Domain errors: each carries a stable code, the field at fault and a human message, so the API
answers JSON ``{"error": {"code", "message", "field"}}`` and the CLI exits 2 with the same text.
"""

from __future__ import annotations

from pydantic import BaseModel


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class InvalidInput(DomainError):
    status = 422
    code = "invalid"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", field=field)
        self.reason = reason


class NotFound(DomainError):
    """Also what a user gets for another client's object: it must not even be known to exist."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Unavailable(DomainError):
    """The database could not store the change (disk full, a serialization failure, a lost
    connection): nothing was stored and the same request may be sent again (with its
    ``Idempotency-Key``, a create is then made once)."""

    status = 503
    code = "unavailable"

    def __init__(
        self, message: str = "the change could not be stored; nothing was changed, retry later"
    ) -> None:
        super().__init__(message)


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None


class ErrorBody(BaseModel):
    """What every API error answers, documented in the OpenAPI schema for 4xx and 5xx."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorBody, "description": "refused: the error names its code and, for bad input, the field"},
    "5XX": {"model": ErrorBody, "description": "not done: 503 when the database could not store it (retry)"},
}
