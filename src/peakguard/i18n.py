"""User-facing text in zh_CN (the trade's default) and en, from Babel catalogs.

The catalogs are the ``.po`` files under ``locales/<language>/LC_MESSAGES/``, one per domain
(``messages.po`` for the core, ``warehouse.po``, ``web.po`` ...) so that domains never edit each
other's catalog; they are read with Babel at first use and merged, so there is no compile step
to forget. A message missing from a catalog falls back to the English
msgid, and ``tests/test_i18n.py`` fails if any msgid used in the code has no zh_CN entry.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from peakguard.errors import DomainError, InvalidInput

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


@lru_cache(maxsize=4)
def catalog(language: str) -> dict[str, str]:
    # Babel is imported here, when a text is first translated: importing it took 20 ms of every
    # command that merely imports a module able to translate (issue 14: CLI start-up).
    from babel.messages.pofile import read_po

    merged: dict[str, str] = {}
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            cat = read_po(fh, locale=language)
        merged.update({str(m.id): str(m.string) for m in cat if m.id and m.string})
    return merged


def normalise(language: str | None) -> str:
    if not language:
        return DEFAULT_LANGUAGE
    language = language.replace("-", "_")
    if language.lower().startswith("zh"):
        return "zh_CN"
    if language.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def gettext(language: str | None, message: str, **values: object) -> str:
    """Translate ``message`` and fill ``{name}`` placeholders."""
    text = catalog(normalise(language)).get(message, message)
    return text.format(**values) if values else text


def translator(language: str | None) -> Callable[[str], str]:
    """A msgid lookup in ``language``'s catalog (the msgid itself where there is none)."""
    table = catalog(normalise(language))
    return lambda message: table.get(message, message)


def error_text(language: str | None, error: DomainError) -> str:
    """A domain error said in ``language`` (its English message when ``language`` is None):
    the message id translated and its parameters filled; for bad input the field's label too,
    as ``field: reason`` with the language's own colon."""
    if language is None:
        return error.message
    translate = translator(language)
    if isinstance(error, InvalidInput) and error.field:
        return translate("{field}: {reason}").format(
            field=translate(error.field), reason=error.reason_in(translate)
        )
    return error.render(translate)


def has_text(language: str, error: DomainError) -> bool:
    """Whether ``language``'s catalog has the error's message id (a reason a library gave, such
    as a validation message, may have none)."""
    return error.msgid in catalog(normalise(language))


_ = gettext
