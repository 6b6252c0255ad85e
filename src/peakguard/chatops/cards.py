"""A DingTalk ActionCard for a message about an incident (issue 17): the message with a button
per command. DingTalk robot buttons open a link; the documented ``dtmd://dingtalkclient/
sendMessage?content=...`` link sends the text to the conversation as the person who pressed it,
so a button press reaches the outgoing robot as the typed command would (signed, as that
person: ``chatops.api``). Resolving and raising put the command in the reply for the person to
finish with the note or the reason.

Apprise sends DingTalk text and Markdown but not ActionCards, so this one message kind is posted
here, to the same robot, read from the person's Apprise ``dingtalk://`` URL (its access token,
and its ``SEC...`` secret signed by Apprise's own code when there is one)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from peakguard.chatops.commands import buttons

DINGTALK_API = "https://oapi.dingtalk.com"


def dingtalk_action_card(subject: str, body: str, language: str, incident_id: int) -> dict[str, Any]:
    links = [
        {"title": label, "actionURL": "dtmd://dingtalkclient/sendMessage?content=" + quote(command)}
        for label, command in buttons(language, incident_id)
    ]
    return {
        "msgtype": "actionCard",
        "actionCard": {
            "title": subject,
            "text": f"### {subject}\n\n{body}",
            "btnOrientation": "1",
            "btns": links,
        },
    }


def send_dingtalk_card(url: str, card: dict[str, Any], base: str = DINGTALK_API) -> bool:
    """Post the card to the robot of a ``dingtalk://`` URL; True if DingTalk took it. (Apprise
    and httpx are imported here, when a card is sent, as in
    :func:`peakguard.notify.delivery.apprise_send`: every command that opens or changes an
    incident imports this module, and httpx alone took 36 ms of their start-up, issue 14.)"""
    import apprise
    import httpx
    from apprise.plugins.dingtalk import NotifyDingTalk

    robot = apprise.Apprise.instantiate(url)
    if not isinstance(robot, NotifyDingTalk):
        return False
    target = f"{base}/robot/send?access_token={quote(robot.token, safe='')}"
    if robot.secret:
        timestamp, sign = robot.get_signature()  # the sign comes URL-quoted
        target += f"&timestamp={timestamp}&sign={sign}"
    try:
        answer = httpx.post(target, json=card, timeout=10)
        return answer.status_code == 200 and answer.json().get("errcode") == 0
    except (httpx.HTTPError, ValueError):
        return False
