"""The README's on-call commands for acting from the chat and for phone and SMS run as written
(issue 17): each bash block runs in a fresh directory on its own database, with ``./dev``
standing for this environment's ``peakguard``."""

from __future__ import annotations

from pathlib import Path

from tests.test_ops_readme import bash_blocks, run_block

CHAT = "### Acting from the chat: DingTalk, WeCom, Feishu (issue 17)"
PHONE = "### Phone and SMS, quiet hours (issue 17)"


def test_the_chat_block_runs(tmp_path: Path) -> None:
    (block,) = bash_blocks(CHAT)
    done = run_block(block, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "事件 #1 已由王芳接手。" in done.stdout
    assert "事件 #1：第 1 步已完成" in done.stdout
    assert "manager4021" not in done.stderr


def test_the_phone_block_runs(tmp_path: Path) -> None:
    (block,) = bash_blocks(PHONE)
    done = run_block(block, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line[:2] in ("1.", "2.")]
    assert lines == [
        "1. twilio://15551234567 skip (quiet hours 22:00-07:00 (Asia/Shanghai))",
        "2. json://127.0.0.1:9 try",
        "1. twilio://15551234567 try",
        "2. json://127.0.0.1:9 try",
        "1. twilio://15551234567 skip (phone and SMS from L2 up)",
        "2. json://127.0.0.1:9 try",
    ]
