"""Domain errors: each carries a stable code, the field at fault and a message id with its
parameters, so every boundary says it in the reader's language: the API answers JSON
``{"error": {"code", "message", "field", "message_id", "params"}}``, a page shows it in the
page's language and the CLI exits 2 with it in ``--lang``. ``message`` is the English rendering
(for logs and for API callers that name no language).

The message id is an English msgid of the gettext catalogs with ``{name}`` placeholders; a
domain adds its translations to its own ``.po`` catalog and ``tests/test_web_i18n.py`` fails on
a message id with no zh_CN entry. A parameter that is a :class:`Word` (a state, a role), a
:class:`Message` or another ``DomainError`` (a reason given inside a reason) is translated too; any other parameter
(an id, a code, a number, a name) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

Translate = Callable[[str], str]
"""A catalog lookup: msgid in, the reader's text out (the msgid itself when there is none)."""


def _english(msgid: str) -> str:
    return msgid


class Word(str):
    """A parameter the reader's catalog translates: a state (``picking``), a role (``client``),
    a kind. Plain ``str`` parameters are ids, codes and names and stay as they are."""

    __slots__ = ()


class Message:
    """A msgid with its parameters, said in any language later: a part of an error's message
    (one short line of an order that cannot be filled) that is not an error of its own."""

    def __init__(self, msgid: str, /, **params: Any) -> None:
        self.msgid = msgid
        self.params = params

    def render(self, translate: Translate = _english) -> str:
        return fill(translate(self.msgid), self.params, translate)

    def __str__(self) -> str:
        return self.render()


def _value(value: object, translate: Translate) -> object:
    if isinstance(value, Message | DomainError):
        return value.render(translate)
    if isinstance(value, Word):
        return translate(value)
    if isinstance(value, list):
        return translate("; ").join(str(_value(v, translate)) for v in value)
    return value


def fill(text: str, params: Mapping[str, object], translate: Translate = _english) -> str:
    """``text`` with its placeholders filled; a :class:`Word`, a :class:`Message` or a nested
    error is translated too, and a list of them is joined with the language's ``;``."""
    if not params:
        return text
    return text.format(**{name: _value(value, translate) for name, value in params.items()})


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(
        self,
        msgid: str,
        /,
        *,
        field: str | None = None,
        error_code: str | None = None,
        **params: Any,
    ) -> None:
        self.msgid = msgid
        self.params = params
        self.field = field
        if error_code:
            self.code = error_code
        self.message = self.render()
        super().__init__(self.message)

    def render(self, translate: Translate = _english) -> str:
        """The message through ``translate`` (English when none is given)."""
        return fill(translate(self.msgid), self.params, translate)

    def public_params(self) -> dict[str, object]:
        """The parameters as JSON values (a nested error as its English message)."""
        return {
            name: value if isinstance(value, int | float | bool | None) else str(_value(value, _english))
            for name, value in self.params.items()
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "message_id": self.msgid,
            "params": self.public_params(),
        }


class InvalidInput(DomainError):
    """Bad input: the message is ``field: reason``, and ``reason`` (the msgid) is translated on
    its own, so one catalog entry serves every field that gives the same reason."""

    status = 422
    code = "invalid"

    def __init__(self, field: str, reason: str, /, **params: Any) -> None:
        super().__init__(reason, field=field, **params)

    @property
    def reason(self) -> str:
        """The reason in English, without the field."""
        return super().render()

    def render(self, translate: Translate = _english) -> str:
        return f"{self.field}: {super().render(translate)}"

    def reason_in(self, translate: Translate) -> str:
        """The reason alone in the reader's language (for a page that has one field)."""
        return super().render(translate)


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

    def __init__(self) -> None:
        super().__init__("the change could not be stored; nothing was changed, retry later")


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None
    message_id: str | None = None
    params: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """What every API error answers, documented in the OpenAPI schema for 4xx and 5xx."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorBody, "description": "refused: the error names its code and, for bad input, the field"},
    "5XX": {"model": ErrorBody, "description": "not done: 503 when the database could not store it (retry)"},
}
