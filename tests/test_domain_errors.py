"""Domain errors are translatable (issue 15 item 2, issue 16): a ``DomainError`` carries a message
id and parameters, and each boundary says it in the reader's language: the API by
``Accept-Language`` (English when none is named, with ``message_id`` and ``params`` for clients
that translate themselves), a page in the page's language, the CLI in ``--lang`` or
``PEAKGUARD_LANG``. Every message id the code raises has a zh_CN entry with no placeholder the
English lacks (tests/test_web_i18n.py lists them with the pages' msgids)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import peakguard
from peakguard.errors import Conflict, InvalidInput, Message, NotFound, Word
from peakguard.i18n import catalog, error_text
from peakguard.incidents import lifecycle
from tests.factories import ADMIN, login, make_user, report
from tests.web_warehouse_setup import build

PLACEHOLDER = re.compile(r"\{(\w+)")
PACKAGE = Path(peakguard.__file__).parent

ERRORS = {"InvalidInput", "NotFound", "Conflict", "Forbidden", "Unauthorized", "DomainError", "PlanError"}
ERRORS |= {"TooManyAttempts", "PayloadTooLarge", "Message", "Word"}


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def error_msgids() -> set[str]:
    """What the domain errors say (issue 15 item 2): the literal message id of every error,
    message part and ``Word`` made anywhere in the package, the field each bad input names, and
    the glue that joins them (a message id held in a constant, such as
    ``inbound.NOT_SUGGESTED``, is added by name)."""
    from peakguard.warehouse.inbound import NOT_SUGGESTED
    from peakguard.web.errors import VALIDATION_REASONS

    found = {"{field}: {reason}", "; ", "{title}: {text}", NOT_SUGGESTED, *VALIDATION_REASONS.values()}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", ""))
            if not isinstance(node, ast.Call) or name not in ERRORS or not node.args:
                continue
            texts = [_text(a) for a in node.args[:2]] if name in ("InvalidInput", "PlanError") else [_text(node.args[0])]
            texts += [_text(k.value) for k in node.keywords if k.arg == "field"]
            found |= {t for t in texts if t}
    return found


def test_an_error_keeps_its_id_and_parameters_and_says_them_in_each_language():
    err = Conflict(
        "order {ref} is {status}; only a picked order can be packed", ref="SHOP-B-1001", status=Word("picking")
    )
    assert err.message == "order SHOP-B-1001 is picking; only a picked order can be packed"
    assert err.as_dict()["params"] == {"ref": "SHOP-B-1001", "status": "picking"}
    assert error_text("zh_CN", err) == "订单 SHOP-B-1001 状态为拣货中：只有已拣完的订单才能打包"
    assert error_text("en", err) == error_text(None, err) == err.message


def test_bad_input_names_its_field_in_the_readers_words_and_nested_parts_are_translated_too():
    bad = InvalidInput("amount", "more than the order's {order_amount}", order_amount="805.94")
    assert bad.message == "amount: more than the order's 805.94"
    assert error_text("zh_CN", bad) == "金额：超过订单金额 805.94"
    short = [Message("{sku}: {ordered} ordered, {available} available", sku="MUG", ordered=9, available=6)] * 2
    full = Conflict("order {ref} cannot be filled: {short}", ref="A-1", short=short)
    assert full.message == "order A-1 cannot be filled: MUG: 9 ordered, 6 available; MUG: 9 ordered, 6 available"
    assert error_text("zh_CN", full) == "订单 A-1 库存不足：MUG：订购 9，可用 6；MUG：订购 9，可用 6"
    wrapped = InvalidInput("quantity", "only unreserved stock can move: {reason}", reason=full)
    assert "库存不足" in error_text("zh_CN", wrapped)
    assert error_text("zh_CN", NotFound("{what} {obj_id} not found", what=Word("pallet"), obj_id=9)) == "托盘 9 不存在"


def formatted_messages() -> list[str]:
    """Errors whose message is built in the code (an f-string, ``%`` or ``.format``) instead of
    a message id with parameters: a reader of another language would get it in English."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", ""))
            if not isinstance(node, ast.Call) or name not in ERRORS or not node.args:
                continue
            message = node.args[1] if name in ("InvalidInput", "PlanError") and len(node.args) > 1 else node.args[0]
            if isinstance(message, ast.JoinedStr | ast.BinOp) or (
                isinstance(message, ast.Call) and getattr(message.func, "attr", "") == "format"
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_no_error_message_is_built_in_the_code():
    assert not formatted_messages(), "use a message id with parameters: " + ", ".join(formatted_messages())


def test_every_error_message_id_has_chinese_with_no_placeholder_the_english_lacks():
    zh = catalog("zh_CN")
    ids = error_msgids()
    assert {"incident {incident_id} has no review yet; write the review before closing", "no free location for "
            "this pallet in the bays the client may use"} <= ids  # the extraction sees the raise sites
    missing = sorted(m for m in ids if not zh.get(m))
    assert not missing, f"no zh_CN translation for: {missing}"
    extra = {m: zh[m] for m in ids if set(PLACEHOLDER.findall(zh[m])) - set(PLACEHOLDER.findall(m))}
    assert not extra, f"zh_CN placeholders the msgid does not fill: {extra}"
    half_width = {m: zh[m] for m in ids if re.search(r"[\u4e00-\u9fff][,:;()!?]|[,:;()!?][\u4e00-\u9fff]", zh[m])}
    assert not half_width, f"half-width punctuation in Chinese: {half_width}"


def test_the_api_says_an_error_in_the_callers_language_and_always_gives_its_id(client, db, clock, headers_for):
    incident_id = report(db, clock)
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, clock.now(), incident_id, "已找回")
    headers = headers_for("leader")
    close = f"/api/v1/incidents/{incident_id}/close"
    zh = client.post(close, headers={**headers, "Accept-Language": "zh-CN"}).json()["error"]
    plain = client.post(close, headers=headers).json()["error"]
    assert zh["message"] == f"事件 {incident_id} 还没有复盘；请先写复盘再关闭"
    assert plain["message"] == f"incident {incident_id} has no review yet; write the review before closing"
    for body in (zh, plain):
        assert body["code"] == "conflict"
        assert body["message_id"] == "incident {incident_id} has no review yet; write the review before closing"
        assert body["params"] == {"incident_id": incident_id}


def test_a_page_says_a_refusal_in_chinese_with_the_state_translated(client, db, clock):
    incident_id = report(db, clock)
    token = login(client, make_user(db, clock, "leader"))
    with db.transaction() as s:
        lifecycle.resolve(s, ADMIN, clock.now(), incident_id, "已找回")
    page = client.post(f"/incidents/{incident_id}/ack", data={"csrf_token": token}).text
    assert f"事件 {incident_id} 状态为已处理，只有待处理的事件才能确认" in page


def test_a_forbidden_page_names_the_role_in_chinese(client, db, clock, plan):
    with db.transaction() as s:
        shop = build(s, clock.now(), plan).shop_a
    login(client, make_user(db, clock, "client", client_id=shop))
    page = client.get("/war-room").text
    assert "角色“客户”无权执行 incidents:read" in page and "may not" not in page


def cli(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``peakguard ARGS`` as a user runs it, with ``env`` added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "peakguard.cli", *args],
        env={**os.environ, "PEAKGUARD_DATABASE_URL": db_url, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
    )


def test_the_cli_says_an_error_in_lang_or_peakguard_lang_and_in_english_by_default(db_url):
    args = ("incident", "ack", "99999")
    english = cli(db_url, *args)
    assert english.returncode == 2 and "no incident 99999" in english.stderr
    for chinese in (cli(db_url, "--lang", "zh_CN", *args), cli(db_url, *args, PEAKGUARD_LANG="zh_CN")):
        assert chinese.returncode == 2 and "没有事件 99999" in chinese.stderr
