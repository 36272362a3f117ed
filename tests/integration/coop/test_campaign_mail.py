"""The confirmation mail over a REAL SMTP server (aiosmtpd on 127.0.0.1, a free port): it arrives after
the pledge's commit, its link confirms the pledge once; with the server away the mail waits in the
outbox (the operator reads it) and the campaigns' round sends it later."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from campaign_world import CAMPAIGN, body, open_test_campaign, zone

from unilink.store.db import Store
from unilink.usecases import campaigns


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("UNILINK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("UNILINK_SMTP_PORT", str(port))
    monkeypatch.setenv("UNILINK_SMTP_FROM", "coop@example.org")
    monkeypatch.setenv("UNILINK_PUBLIC_URL", "https://coop.example.org/")
    try:
        yield inbox
    finally:
        controller.stop()


def test_the_confirmation_mail_arrives_with_a_working_link(store: Store, smtp: Inbox) -> None:
    open_test_campaign(store)
    campaigns.pledge(store, CAMPAIGN, body(1))  # sent after its commit, no call needed
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["resident1@example.org"] and message["From"] == "coop@example.org"
    text = message.get_payload(decode=True).decode()
    link = re.search(r"https://coop\.example\.org/c/fibre-test/confirm\?token=([\w-]+)", text)
    assert link is not None and "/c/fibre-test/withdraw?token=" in text
    assert campaigns.confirm_pledge(store, link.group(1))["status"] == "confirmed"
    assert zone(store, "west")["confirmed"] == 1
    (row,) = campaigns.mail_outbox(store)
    assert row["sent_at"] is not None and row["attempts"] == 1 and row["last_error"] is None


def test_reaching_the_target_tells_every_member(store: Store, smtp: Inbox) -> None:
    open_test_campaign(store)
    for k in (1, 2, 3):
        campaigns.pledge(store, CAMPAIGN, body(k))
        token = re.search(r"confirm\?token=([\w-]+)", smtp.messages[-1][1].get_payload(decode=True).decode())
        assert token is not None
        campaigns.confirm_pledge(store, token.group(1))
    reached = [to for to, m in smtp.messages if m["Subject"].startswith("Target reached")]
    assert sorted(r[0] for r in reached) == [f"resident{k}@example.org" for k in (1, 2, 3)]


def test_without_a_server_the_mail_waits_in_the_outbox(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UNILINK_SMTP_HOST", raising=False)
    open_test_campaign(store)
    campaigns.pledge(store, CAMPAIGN, body(1))
    assert campaigns.deliver_mail(store) == 0
    (row,) = campaigns.mail_outbox(store)
    assert (row["to"], row["sent_at"], row["attempts"]) == ("resident1@example.org", None, 0)
    assert "confirm?token=" in row["body"]


def test_a_server_that_is_down_is_retried_by_the_round(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_campaign(store)
    monkeypatch.setenv("UNILINK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("UNILINK_SMTP_PORT", str(_free_port()))  # nobody listens
    campaigns.pledge(store, CAMPAIGN, body(1))  # the pledge is committed whatever the mail does
    (row,) = campaigns.mail_outbox(store)
    assert row["sent_at"] is None and row["attempts"] == 1 and "Connection" in row["last_error"]
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("UNILINK_SMTP_PORT", str(port))
        assert campaigns.run_due(store)["mail_sent"] == 1
    finally:
        controller.stop()
    assert [to for to, _ in inbox.messages] == [["resident1@example.org"]]
    assert campaigns.mail_outbox(store)[0]["sent_at"] is not None
