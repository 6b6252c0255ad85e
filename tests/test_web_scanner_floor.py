"""Scanner pages that never trap an operator (issue 16; S2.5-S2.9), over HTTP: a scan of the
wrong kind, a number that names nothing, a closed plan, an extra unit, a misread barcode: each
is a red answer on the same page (status 200, the scanner field there), never an error page.
Put-away off the suggested location is refused unless a supervisor overrides, and never into
another client's bay or a shared bay for a dedicated client. /scan lists the open work, and the
language switch comes back to the same wave, plan, pallet or order."""

from __future__ import annotations

import re

import pytest

from peakguard.warehouse import inbound
from tests.factories import ADMIN, login, make_user
from tests.test_web_warehouse import HX, answer, at_location
from tests.web_warehouse_setup import EAN, OTHER_EAN, build


@pytest.fixture
def wh(db, clock, plan):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return build(s, clock.now(), plan)


def red_on_the_page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    assert "data-scan" in r.text and "返回首页" not in r.text, path
    kind, text = answer(r.text)
    assert kind == "wrong", (path, text)
    return text


def test_wrong_kind_scans_answer_in_red_on_the_page(client, db, clock, wh):
    login(client, make_user(db, clock, "warehouse"))
    assert red_on_the_page(client, "/scan/pack?order=SHOP-A-1001") == (
        "没有订单 SHOP-A-1001。请扫描订单号或订单编号。"
    )
    assert red_on_the_page(client, "/scan/pack?order=99999999999999").startswith("没有订单")
    assert red_on_the_page(client, "/scan/pick?wave=A-01-1") == "不是波次号：A-01-1"
    assert red_on_the_page(client, "/scan/pick?wave=99") == "波次 99 不存在"
    assert red_on_the_page(client, "/scan/receive?plan=abc") == "不是入库计划号：abc"
    assert red_on_the_page(client, "/scan/receive?plan=999") == "入库计划 999 不存在"
    assert red_on_the_page(client, "/scan/putaway?pallet=LP0000009999") == "没有托盘 LP0000009999"
    assert red_on_the_page(client, "/scan/putaway?pallet=A-01-1") == "不是托盘标签：A-01-1"
    # an order found by its ref, but not picked yet: said so, and the order field is back
    assert (
        red_on_the_page(client, "/scan/pack?order=T-1001")
        == "订单 T-1001 状态为拣货中：只有已拣完的订单才能打包"
    )


def test_a_post_to_a_wave_that_does_not_exist_is_red(client, db, clock, wh):
    token = login(client, make_user(db, clock, "warehouse"))
    r = client.post("/scan/pick/99", data={"csrf_token": token, "task_id": 1, "code": "A-01-1"}, headers=HX)
    assert answer(r.text) == ("wrong", "波次 99 不存在") and 'name="wave"' in r.text


def test_receive_refuses_an_extra_unit_and_names_a_bad_check_digit(client, db, clock, wh):
    token = login(client, make_user(db, clock, "warehouse"))
    url = f"/scan/receive/{wh.inbound_plan}"
    bad_digit = EAN[:-1] + str((int(EAN[-1]) + 1) % 10)
    assert answer(client.post(url, data={"csrf_token": token, "code": bad_digit}, headers=HX).text) == (
        "wrong",
        f"校验位错误：{bad_digit}，请重新扫描。",
    )
    for n in range(1, 5):
        assert answer(client.post(url, data={"csrf_token": token, "code": OTHER_EAN}, headers=HX).text) == (
            "right",
            f"✓ MUG：已收 {n} / 4",
        )
    kind, text = answer(client.post(url, data={"csrf_token": token, "code": OTHER_EAN}, headers=HX).text)
    assert kind == "wrong" and text.startswith("超收：MUG 计划 4 件")
    page = client.get(f"/scan/receive?plan={wh.inbound_plan}").text
    assert "马克杯" in page and '<button class="primary big">收货</button>' in page


def _mug_pallet(client, db, clock, wh, token: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    client.post(f"/scan/receive/{wh.inbound_plan}", data={"csrf_token": token, "code": OTHER_EAN}, headers=HX)
    with db.transaction() as s:
        pallet = inbound.palletize(
            s, ADMIN, clock.now(), client_id=wh.shop_a, items=[inbound.PalletItem("MUG", 1)]
        )
        return pallet.code, pallet.id


def test_putaway_only_where_suggested_unless_a_supervisor_overrides(client, db, clock, wh):
    token = login(client, make_user(db, clock, "warehouse"))
    code, pallet_id = _mug_pallet(client, db, clock, wh, token)
    url = f"/scan/putaway/{pallet_id}"
    r = client.post(url, data={"csrf_token": token, "code": "S-01-1"}, headers=HX)
    assert answer(r.text) == ("wrong", "该客户使用专属库区：货物只能放在自己的库区")
    r = client.post(url, data={"csrf_token": token, "code": "A-01-1"}, headers=HX)
    assert answer(r.text) == ("wrong", "不是建议库位：扫到 A-01-1，请送到 A-01-2")
    assert 'id="override"' not in r.text  # an operator is not offered the override
    r = client.post(url, data={"csrf_token": token, "code": "A-01-1", "override": "1"}, headers=HX)
    assert answer(r.text)[0] == "wrong" and at_location(db, wh.shop_a, "A-01-1") == 10
    r = client.post(url, data={"csrf_token": token, "code": "Z-9"}, headers=HX)
    assert answer(r.text) == ("wrong", "未知库位：Z-9")

    client.post("/logout", data={"csrf_token": token})
    token = login(client, make_user(db, clock, "admin"))
    r = client.post(url, data={"csrf_token": token, "code": "A-01-1"}, headers=HX)
    assert answer(r.text)[0] == "wrong" and 'id="override"' in r.text and "主管确认：放到 A-01-1" in r.text
    r = client.post(url, data={"csrf_token": token, "code": "S-01-1", "override": "1"}, headers=HX)
    assert answer(r.text) == ("wrong", "该客户使用专属库区：货物只能放在自己的库区")
    r = client.post(url, data={"csrf_token": token, "code": "A-01-1", "override": "1"}, headers=HX)
    assert answer(r.text) == ("right", f"✓ {code} 已上架到 A-01-1")
    assert at_location(db, wh.shop_a, "A-01-1") == 11


def test_putaway_over_the_api_obeys_the_same_rules(client, db, clock, wh):
    """S2.3/S2.7 in the service: the API gets the same refusals as the page."""
    from peakguard.auth import service as auth

    token = login(client, make_user(db, clock, "warehouse"))
    _, pallet_id = _mug_pallet(client, db, clock, wh, token)
    with db.transaction() as s:
        operator = make_user(db, clock, "warehouse")
        api_token = auth.create_token(s, ADMIN, clock.now(), username=operator, name="t")
    headers = {"Authorization": f"Bearer {api_token}"}
    url = f"/api/v1/warehouse/pallets/{pallet_id}/putaway"
    r = client.post(url, json={"location": "S-01-1", "override": True}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "location"
    r = client.post(url, json={"location": "A-01-1", "override": True}, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["field"] == "override"
    r = client.post(url, json={"location": "A-01-1"}, headers=headers)
    assert r.status_code == 422 and "不是建议库位" in r.json()["error"]["message"]  # the session says zh_CN
    assert client.post(url, json={"location": "A-01-2"}, headers=headers).status_code == 200


def test_the_menu_lists_the_open_work(client, db, clock, wh):
    login(client, make_user(db, clock, "warehouse"))
    page = client.get("/scan").text
    assert f'href="/scan/receive?plan={wh.inbound_plan}"' in page and "店铺A" in page
    assert f'href="/scan/pick?wave={wh.wave}"' in page and "1 个任务待拣" in page
    assert "待打包的订单" in page and "待上架的托盘" in page


@pytest.mark.parametrize(
    "path",
    ["/scan/pick?wave={wave}", "/scan/receive?plan={plan}"],
)
def test_the_language_switch_comes_back_to_the_same_task(client, db, clock, wh, path):
    token = login(client, make_user(db, clock, "warehouse"))
    here = path.format(wave=wh.wave, plan=wh.inbound_plan)
    page = client.get(here).text
    assert re.search(r'name="next" value="([^"]*)"', page).group(1).replace("&amp;", "&") == here
    r = client.post(
        "/lang", data={"language": "en", "csrf_token": token, "next": here}, follow_redirects=False
    )
    assert r.headers["location"] == here


def test_names_not_codes(client, db, clock, wh):
    """Issue 16: the portal says where stock is in words (质检隔离区, not ``hold``); a shop-side
    incident names the shop (店铺A, not ``shop-a``)."""
    from peakguard.incidents import reporting

    token = login(client, make_user(db, clock, "warehouse"))
    client.post(
        f"/scan/receive/{wh.inbound_plan}",
        data={"csrf_token": token, "code": OTHER_EAN, "qc": "fail", "reason": "破损"},
        headers=HX,
    )
    with db.transaction() as s:
        reporting.report(s, ADMIN, clock.now(), kind="platform_outage", area="shop-a")
    client.post("/logout", data={"csrf_token": token})
    login(client, make_user(db, clock, "client", client_id=wh.shop_a))
    stock = client.get(f"/portal/{wh.shop_a}/stock").text
    assert "<td>质检隔离区</td>" in stock and ">hold<" not in stock
    client.post("/logout", data={"csrf_token": token})
    login(client, make_user(db, clock, "leader"))
    live = client.get("/war-room/live").text
    assert "· 店铺A ·" in live and "· shop-a ·" not in live
