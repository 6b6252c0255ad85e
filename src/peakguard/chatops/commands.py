"""The commands a person types (or a button sends) in DingTalk, WeCom or Feishu, in English or
Chinese: ``ack 12`` / ``确认 12``, ``resolve 12 <note>`` / ``解决 12 <说明>``, ``step 12`` /
``步骤 12`` (tick the next playbook step), ``raise 12 <reason>`` / ``升级 12 <原因>`` (one level
up) and ``help`` / ``帮助``. A leaf module: the incident engine's messages import it to write the
commands under each alert, and parsing needs nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from peakguard.i18n import gettext

Action = Literal["ack", "resolve", "step", "raise", "help"]
WORDS: dict[str, Action] = {
    "ack": "ack",
    "acknowledge": "ack",
    "确认": "ack",
    "接手": "ack",
    "resolve": "resolve",
    "解决": "resolve",
    "step": "step",
    "步骤": "step",
    "raise": "raise",
    "升级": "raise",
    "help": "help",
    "帮助": "help",
}
NEEDS_TEXT: dict[Action, str] = {
    "resolve": "Resolving needs a note after the incident number, e.g. resolve 12 scanner restarted.",
    "raise": "Raising the level needs a reason after the incident number, e.g. raise 12 two more areas.",
}
MAX_COMMAND = 2000


class BadCommand(ValueError):
    """A message that is not a command; ``message`` is an English msgid with ``values``."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message.format(**values))
        self.message, self.values = message, values


@dataclass(frozen=True)
class Command:
    action: Action
    incident_id: int = 0
    text: str = ""
    """The note of ``resolve``, the reason of ``raise``, an optional note of ``step``."""


def parse(message: str) -> Command:
    """Read one command; @-mentions of the robot (``@PeakGuard``, Feishu's ``@_user_1``) are
    dropped, ``#12`` is ``12``, and full-width spaces count as spaces."""
    if len(message) > MAX_COMMAND:
        raise BadCommand("A command is at most {limit} characters.", limit=MAX_COMMAND)
    words = [w for w in re.split(r"[\s\u3000]+", message.strip()) if w and not w.startswith("@")]
    if not words:
        raise BadCommand(USAGE)
    action = WORDS.get(words[0].lower())
    if action is None:
        raise BadCommand('Unknown command "{word}".', word=words[0][:40])
    if action == "help":
        return Command("help")
    if len(words) < 2 or not words[1].lstrip("#").isdigit() or len(words[1]) > 12:
        raise BadCommand("Name the incident number after {word}, e.g. {word} 12.", word=words[0])
    incident_id, text = int(words[1].lstrip("#")), " ".join(words[2:])
    if action in NEEDS_TEXT and not text:
        raise BadCommand(NEEDS_TEXT[action])
    return Command(action, incident_id, text)


USAGE = "Commands: ack 12, resolve 12 <note>, step 12, raise 12 <reason>, help."


def hint(language: str, incident_id: int) -> str:
    """The line under every incident message sent to a chat: what to reply to act on it."""
    return gettext(
        language,
        "Reply: ack {id} | resolve {id} <note> | step {id} | raise {id} <reason>",
        id=incident_id,
    )


def buttons(language: str, incident_id: int) -> list[tuple[str, str]]:
    """(label, command) of the buttons a card carries; the commands are the replies above, so a
    button and a typed reply act the same way. Resolving and raising need text, so their
    buttons put the command in the reply box for the person to finish."""
    return [
        (gettext(language, "Acknowledge"), f"ack {incident_id}"),
        (gettext(language, "Next step done"), f"step {incident_id}"),
        (gettext(language, "Resolve…"), f"resolve {incident_id} "),
        (gettext(language, "Raise level…"), f"raise {incident_id} "),
    ]
