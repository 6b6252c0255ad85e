"""Which of a person's channels a message may use (issue 17): the person's own order, with
phone calls and SMS kept for serious incidents and out of their quiet hours.

- A channel whose Apprise schema sends an SMS or rings a phone (:data:`PHONE_SMS`: Twilio,
  also ``?method=call``, Plivo, Vonage, Sinch, ClickSend, 46elks...) is tried only for an
  incident of the plan's ``oncall.phone_sms_from`` level or above (L2 in the default plan).
- In the person's quiet hours (their local time, ``roster contact --quiet``) it is skipped,
  unless the incident's level is in ``oncall.break_quiet_hours`` (L1 and special).
- Every other channel (chat, e-mail, webhooks) is always tried, in the person's order. A test
  message tries them all: it is there to prove every channel before the day.

A pure function of the person, the message's level and ``now``: delivery under the injected
clock decides exactly as the tests say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peakguard.plan.schemas import Plan
from peakguard.plan.service import rank
from peakguard.roster.models import Person
from peakguard.roster.quiet import is_quiet

PHONE_SMS = frozenset(
    {
        "twilio", "plivo", "vonage", "nexmo", "sinch", "clicksend", "d7sms", "bulksms", "bulkvs", "msg91",
        "seven", "smsmgr", "smsmanager", "burstsms", "kudosity", "smseagle", "smseagles", "httpsms",
        "serwersms", "smstunnel", "smsc", "sfr", "46elks", "elks", "clickatell", "telnyx", "voipms",
        "atalk", "kavenegar", "msgbird", "octopush", "infobip", "kaleyra", "klr", "telesign", "exotel",
        "notifyre", "ringc", "cm", "eight00com", "mobilemessage", "mobilemsg", "freemobile",
    }
)  # fmt: skip
"""Apprise schemas that send an SMS or place a call (all registered in the installed Apprise,
which ``tests/test_notify_phone.py`` checks)."""
CHAT = frozenset({"dingtalk", "wecombot", "wecom", "feishu", "lark"})
"""Apprise schemas of the chat platforms a person can answer from (``peakguard.chatops``)."""


@dataclass(frozen=True)
class Choice:
    url: str
    use: bool
    why: str = ""
    """Why a channel is skipped, for the delivery log and ``notify route``."""


def scheme(url: str) -> str:
    return url.partition("://")[0].lower()


def route(person: Person, level: str | None, event: str, plan: Plan, now: datetime) -> list[Choice]:
    """The person's channels in their order, each with whether this message may use it now."""
    rules = plan.oncall
    zone = person.timezone or plan.timezone
    choices = []
    for url in person.channels:
        if scheme(url) not in PHONE_SMS or event == "test":
            choices.append(Choice(url, True))
        elif rules.phone_sms_from is not None and (
            level is None or rank(plan, level) < rank(plan, rules.phone_sms_from)
        ):
            choices.append(Choice(url, False, f"phone and SMS from {rules.phone_sms_from} up"))
        elif is_quiet(person.quiet_hours, zone, now) and level not in rules.break_quiet_hours:
            choices.append(Choice(url, False, f"quiet hours {person.quiet_hours} ({zone})"))
        else:
            choices.append(Choice(url, True))
    return choices
