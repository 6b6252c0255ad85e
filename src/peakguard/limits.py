"""Input limits shared by every domain's request shapes (issue 13 items 4 and 10).

What the database cannot store must be refused where the request is read, with a 422 naming
the field, not found out by the database as a 500: an id above PostgreSQL's ``integer`` (2^31-1)
or SQLite's 2^63, a string longer than its ``String(n)`` column, a NUL character (PostgreSQL
text cannot hold one), free JSON nested hundreds deep. So:

- :data:`Id` is every id, in paths, queries and bodies: 1 to 2^31-1 on both databases.
- :class:`Line` is a one-line name or code sized to its column: no control characters at all.
- :class:`Text` is free text (notes, summaries): tab and newline allowed, other control
  characters not, at most :data:`MAX_TEXT` characters unless the column says less.
- :data:`Quantity` and :data:`Count` bound the integers the warehouse and incidents count with;
  :func:`decimal` makes a decimal fit its ``Numeric`` column.
- :data:`FreeJson` is a bounded JSON object: depth, size, and clean strings and keys.
- :class:`Input` is the base of every request body: whatever string reaches it (a field
  without its own type, a string inside a list or a JSON object) is checked for control
  characters too, so a field added later is covered without anyone remembering to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetCoreSchemaHandler, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

MAX_ID = 2**31 - 1  # PostgreSQL ``integer``, the narrowest id column of the two databases
MAX_QUANTITY = 1_000_000  # units on one line, pallet or pick: far above any real one
MAX_TEXT = 10_000  # characters of free text in one field
MAX_LIST = 1_000  # lines of one order, plan or pallet; ids of one wave; racks or levels of a bay
JSON_MAX_DEPTH = 8
JSON_MAX_BYTES = 16_384

Id = Annotated[int, Ge(1), Le(MAX_ID)]
Quantity = Annotated[int, Ge(1), Le(MAX_QUANTITY)]
Count = Annotated[int, Ge(0), Le(MAX_QUANTITY)]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_character", "control characters are not allowed")
    return value


def _clean_text(value: str) -> str:
    if _CONTROL_BUT_WHITESPACE.search(value):
        raise PydanticCustomError(
            "control_character", "control characters other than tab and newline are not allowed"
        )
    return value


@dataclass(frozen=True)
class Line:
    """``Annotated[str, Line(64)]``: a one-line name or code of at most 64 characters (its
    column's length), no control characters at all."""

    max_length: int
    min_length: int = 0

    def check(self, value: str) -> str:
        return _one_line(value)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        inner = core_schema.str_schema(min_length=self.min_length, max_length=self.max_length)
        return core_schema.no_info_after_validator_function(self.check, inner)


@dataclass(frozen=True)
class Text(Line):
    """``Annotated[str, Text()]``: free text, tab and newline allowed, other control characters
    not, at most :data:`MAX_TEXT` characters unless the column says less."""

    max_length: int = MAX_TEXT

    def check(self, value: str) -> str:
        return _clean_text(value)


Term = Annotated[str, Line(64)]
"""A word in a path or a query string: a status, a kind, an area, a code, a language."""
FormText = Annotated[str, Text()]
"""A field of a page's form: free text, refused with control characters or above MAX_TEXT."""


def decimal(max_digits: int, decimal_places: int) -> FieldInfo:
    """``Annotated[Decimal, decimal(10, 2)]``: a non-negative decimal that fits its
    ``Numeric(10, 2)`` column."""
    return Field(ge=0, max_digits=max_digits, decimal_places=decimal_places, allow_inf_nan=False)


def _check_json(value: Any, depth: int = 0) -> None:
    if depth > JSON_MAX_DEPTH:
        raise PydanticCustomError(
            "json_too_deep", "nested deeper than {limit} levels", {"limit": JSON_MAX_DEPTH}
        )
    if isinstance(value, str):
        _clean_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _one_line(str(key))
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


def _bounded_json(value: dict[str, Any]) -> dict[str, Any]:
    _check_json(value)
    if len(json.dumps(value, ensure_ascii=False)) > JSON_MAX_BYTES:
        raise PydanticCustomError(
            "json_too_large", "longer than {limit} characters as JSON", {"limit": JSON_MAX_BYTES}
        )
    return value


FreeJson = Annotated[dict[str, Any], AfterValidator(_bounded_json)]


class Input(BaseModel):
    """The base of every request body: no string longer than
    :data:`MAX_TEXT` and none with control characters (tab and newline aside), wherever in the
    body it is."""

    model_config = ConfigDict(str_max_length=MAX_TEXT)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _check_strings(value)
        return value


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        _clean_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            _check_strings(item)
