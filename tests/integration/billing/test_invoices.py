"""Invoices on a real database (SQLite and PostgreSQL): acme's November 2026 — a mid-month rate
change, a boost, an order completed, a burst — issued and checked line by line against the figures
worked by hand in billing_world.py; numbering, immutability, credit notes, refusals, isolation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from billing_world import NOVEMBER, NOVEMBER_NET, NOVEMBER_TOTAL, NOVEMBER_VAT
from sqlalchemy import func, select

from unilink.clock import FrozenClock
from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.store.db import Store
from unilink.store.tables.billing import InvoiceLineRow, InvoiceRow, InvoiceSequenceRow
from unilink.usecases import invoicing

NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def _by_key(lines: list[dict]) -> dict[tuple[str, str], list[tuple[int, int]]]:
    found: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for line in lines:
        found.setdefault((line["kind"], line["key"]), []).append((line["quantity"], line["cents"]))
    return {k: sorted(v, reverse=True) for k, v in found.items()}


def test_november_is_billed_to_the_cent(november: Store) -> None:
    invoice = invoicing.issue_month(november, "acme", "2026-11", now=NOW, actor="billing")
    lines = invoice["lines"]
    one_offs = [ln for ln in lines if ln["kind"] == "one-off"]
    assert [(ln["cents"], ln["item"].startswith("installation: ")) for ln in one_offs] == [(25_000, True)]
    assert _by_key([ln for ln in lines if ln["kind"] != "one-off"]) == {
        k: sorted(v, reverse=True) for k, v in NOVEMBER.items()}
    burst = next(ln for ln in lines if ln["kind"] == "burst")
    assert burst["detail"]["p95_bps"] == 130_000_000 and burst["detail"]["samples"] == 8640
    assert (invoice["net_cents"], invoice["vat_cents"], invoice["total_cents"]) == \
        (NOVEMBER_NET, NOVEMBER_VAT, NOVEMBER_TOTAL)
    assert sum(ln["cents"] for ln in lines) == invoice["net_cents"]
    assert invoice["net_cents"] + invoice["vat_cents"] == invoice["total_cents"]
    assert invoice["number"] == "UL-000001" and invoice["period"] == "2026-11" and invoice["buyer"] == "Acme Industries"


def _counts(store: Store) -> tuple[int, int, list[tuple[str, int]]]:
    with store.session() as session:
        return (session.scalar(select(func.count()).select_from(InvoiceRow)) or 0,
                session.scalar(select(func.count()).select_from(InvoiceLineRow)) or 0,
                [tuple(r) for r in session.execute(select(InvoiceSequenceRow.issuer, InvoiceSequenceRow.last_number))])


BAD_INPUT = [
    ("acme", "2026-13", ValidationError, "month"),
    ("acme", "2026-1", ValidationError, "month"),
    ("acme", "November", ValidationError, "month"),
    ("acme", "2026-12", ValidationError, "month"),      # not over at NOW (Dec 1st)
    ("acme", "2027-01", ValidationError, "month"),      # the future
    ("initech", "2026-11", NotFoundError, "tenant"),
]


def test_bad_input_is_refused_by_name_and_writes_nothing(november: Store) -> None:
    for tenant, month, error, field in BAD_INPUT:
        with pytest.raises(error) as refused:
            invoicing.issue_month(november, tenant, month, now=NOW)
        assert refused.value.field == field and refused.value.accepted, month  # type: ignore[attr-defined]
    assert _counts(november) == (0, 0, [])


def test_a_bad_vat_rate_is_refused(november: Store) -> None:
    with pytest.raises(ValidationError) as refused:
        invoicing.issue_month(november, "acme", "2026-11", now=NOW, vat_percent=120)
    assert refused.value.field == "vat_percent"
    assert _counts(november) == (0, 0, [])


def test_numbers_are_sequential_without_gaps_and_a_month_is_invoiced_once(november: Store) -> None:
    first = invoicing.issue_month(november, "acme", "2026-11", now=NOW)
    with pytest.raises(ConflictError) as again:   # refused: takes no number
        invoicing.issue_month(november, "acme", "2026-11", now=NOW)
    assert again.value.field == "month" and "UL-000001" in again.value.message
    with pytest.raises(ValidationError):
        invoicing.issue_month(november, "globex", "2026-12", now=NOW)
    second = invoicing.issue_month(november, "globex", "2026-11", now=NOW)
    october = invoicing.issue_month(november, "acme", "2026-10", now=NOW)
    note = invoicing.credit_note(november, first["number"], reason="goodwill", amount_cents=1_000, now=NOW)
    assert [d["number"] for d in (first, second, october, note)] == [
        "UL-000001", "UL-000002", "UL-000003", "UL-000004"]
    assert _counts(november)[2] == [("UL", 4)]
    # globex: 100M all month (12,000) on a fibre 1G port (45,000)
    assert (second["net_cents"], second["total_cents"]) == (57_000, 68_400)
    # acme's October: from the 20th 10:00 (hour 19 × 24 + 10 = 466 of 744): 278 h
    # 45,000 × 278 / 744 = 16,814.52 → 16,815 twice; 16,000 × 278 / 744 = 5,978.49 → 5,978;
    # 12,000 × 278 / 744 = 4,483.87 → 4,484; October's one sample, Oct 31 23:55 at 1 Gbit/s, is its own
    # 95th percentile: 900 Mbit/s above the commit × 60 = 54,000 (and November never saw it)
    assert _by_key(october["lines"]) == {
        ("service", "access paris-hq"): [(278, 16_815)], ("service", "access london-dc"): [(278, 16_815)],
        ("service", "internet hq-internet"): [(278, 5_978)], ("service", "internet dc-transit"): [(278, 4_484)],
        ("burst", "burst dc-transit"): [(1, 54_000)]}
    assert october["net_cents"] == 16_815 * 2 + 5_978 + 4_484 + 54_000


def test_a_credit_note_corrects_an_invoice_that_never_changes(november: Store) -> None:
    invoice = invoicing.issue_month(november, "acme", "2026-11", now=NOW)
    part = invoicing.credit_note(november, invoice["number"], reason="outage on Nov 3", amount_cents=10_000, now=NOW)
    assert (part["kind"], part["corrects"], part["period"]) == ("credit_note", invoice["number"], "2026-11")
    assert [(ln["kind"], ln["cents"]) for ln in part["lines"]] == [("correction", 10_000)]
    assert (part["net_cents"], part["vat_cents"], part["total_cents"]) == (10_000, 2_000, 12_000)
    with pytest.raises(ConflictError):            # the whole of it no more: part is credited
        invoicing.credit_note(november, invoice["number"], reason="all of it", now=NOW)
    with pytest.raises(ValidationError) as too_much:
        invoicing.credit_note(november, invoice["number"], reason="x", amount_cents=NOVEMBER_NET, now=NOW)
    assert too_much.value.field == "amount_cents" and str(NOVEMBER_NET - 10_000) in (too_much.value.accepted or "")
    with pytest.raises(ValidationError) as of_a_note:
        invoicing.credit_note(november, part["number"], reason="x", amount_cents=1, now=NOW)
    assert of_a_note.value.field == "number"
    with pytest.raises(ValidationError) as no_reason:
        invoicing.credit_note(november, invoice["number"], reason="  ", amount_cents=1, now=NOW)
    assert no_reason.value.field == "reason"
    with pytest.raises(NotFoundError):
        invoicing.credit_note(november, "UL-999999", reason="x", amount_cents=1, now=NOW)
    rest = invoicing.credit_note(november, invoice["number"], reason="the rest", amount_cents=NOVEMBER_NET - 10_000,
                                 now=NOW)
    assert rest["net_cents"] == NOVEMBER_NET - 10_000
    assert invoicing.get_invoice(november, invoice["number"]) == invoice   # issued: unchanged
    # the five refusals took no number
    assert [d["number"] for d in invoicing.list_invoices(november, "acme")] == ["UL-000001", "UL-000002", "UL-000003"]


def test_a_whole_credit_note_repeats_the_invoice(november: Store) -> None:
    invoice = invoicing.issue_month(november, "acme", "2026-11", now=NOW)
    note = invoicing.credit_note(november, invoice["number"], reason="billed twice", now=NOW)
    assert [ln["cents"] for ln in note["lines"]] == [ln["cents"] for ln in invoice["lines"]]
    assert (note["net_cents"], note["vat_cents"], note["total_cents"]) == (NOVEMBER_NET, NOVEMBER_VAT, NOVEMBER_TOTAL)


def test_a_tenant_reads_only_its_own_invoices(november: Store) -> None:
    mine = invoicing.issue_month(november, "acme", "2026-11", now=NOW)
    theirs = invoicing.issue_month(november, "globex", "2026-11", now=NOW)
    assert [d["number"] for d in invoicing.list_invoices(november, "globex")] == [theirs["number"]]
    assert {d["number"] for d in invoicing.list_invoices(november)} == {mine["number"], theirs["number"]}
    for read in (invoicing.get_invoice, invoicing.invoice_csv, invoicing.invoice_xml):
        with pytest.raises(NotFoundError) as hidden:
            read(november, mine["number"], "globex")
        assert hidden.value.message == "no such invoice"      # the same answer as a number nobody has
    with pytest.raises(NotFoundError):
        invoicing.list_invoices(november, "initech")


def test_the_csv_lines_add_up_to_the_total(november: Store) -> None:
    import csv
    import io

    invoice = invoicing.issue_month(november, "acme", "2026-11", now=NOW)
    rows = list(csv.DictReader(io.StringIO(invoicing.invoice_csv(november, invoice["number"]))))
    lines = [r for r in rows if r["position"]]
    cents = [round(float(r["amount_eur"]) * 100) for r in lines]
    assert cents == [ln["cents"] for ln in invoice["lines"]]
    extra = {r["kind"]: round(float(r["amount_eur"]) * 100) for r in rows if not r["position"]}
    assert extra == {"net": NOVEMBER_NET, "vat": NOVEMBER_VAT, "total": NOVEMBER_TOTAL}


def test_a_draft_writes_nothing(november: Store) -> None:
    preview = invoicing.draft_month(november, "acme", "2026-11", now=NOW)
    assert preview["total_cents"] == NOVEMBER_TOTAL
    assert _counts(november) == (0, 0, [])


BILLING_TABLES = {"invoices", "invoice_lines", "invoice_sequences"}


def test_the_migration_creates_what_the_models_say(any_store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import unilink.store.tables  # noqa: F401  (every table: complete metadata)
    from unilink.store.base import Base

    with any_store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diffs if BILLING_TABLES & set(str(d).replace("'", " ").replace(",", " ").split())] == []


def test_the_database_refuses_a_total_that_does_not_add_up(any_store: Store) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from unilink.store import tenancy

    with any_store.session(write=True) as session:
        tenant = tenancy.add_tenant(session, "acme", "enterprise", "Acme")
        tenant_id = tenant.id
    row = {"issuer": "UL", "seq": 1, "number": "UL-000001", "kind": "invoice", "tenant_id": tenant_id,
           "period": "2026-11", "issued_at": NOW, "currency": "EUR", "net_cents": 100, "vat_percent": 20,
           "vat_cents": 20, "total_cents": 121, "buyer": {"name": "Acme"}, "reason": "", "actor": "x"}
    with pytest.raises(IntegrityError), any_store.session(write=True) as session:
        session.execute(insert(InvoiceRow).values(**row))


def test_the_worked_example_of_the_docs_is_this_invoice(november_sqlite: Store) -> None:
    """docs/invoices.md's table, line by line, is what the example's history is billed."""
    import re
    from pathlib import Path

    invoice = invoicing.issue_month(november_sqlite, "acme", "2026-11", now=NOW)
    text = (Path(__file__).parents[3] / "docs" / "invoices.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (.+?) \|\s*(\d*)\s*\| .+? \| ([\d,]+\.\d\d) \|$", text, flags=re.MULTILINE)
    assert [(int(n), int(h or 1), round(float(euros.replace(",", "")) * 100)) for n, _, h, euros in rows] == [
        (i, line["quantity"], line["cents"]) for i, line in enumerate(invoice["lines"], start=1)]
    net, vat, total = (re.search(rf"\| {label} \|.*?([\d,]+\.\d\d)\**? \|", text) for label in
                       (r"\*\*net\*\*", "VAT 20 %", r"\*\*total\*\*"))
    assert [round(float(m.group(1).replace(",", "")) * 100) for m in (net, vat, total) if m] == [
        NOVEMBER_NET, NOVEMBER_VAT, NOVEMBER_TOTAL]


def test_issues_racing_take_each_number_once(november: Store) -> None:
    """Four issues at once (two tenants × two months), and the same month twice: numbers 1…4, each
    once, no gap; the duplicate month refused."""
    import threading

    jobs = [("acme", "2026-10"), ("acme", "2026-11"), ("globex", "2026-10"), ("globex", "2026-11"),
            ("acme", "2026-11")]
    barrier, numbers, refused = threading.Barrier(len(jobs)), [], []

    def issue(tenant: str, month: str) -> None:
        barrier.wait()
        try:
            numbers.append(invoicing.issue_month(november, tenant, month, now=NOW)["number"])
        except ConflictError:
            refused.append((tenant, month))

    threads = [threading.Thread(target=issue, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == ["UL-000001", "UL-000002", "UL-000003", "UL-000004"]
    assert refused == [("acme", "2026-11")]
    assert _counts(november)[2] == [("UL", 4)]


def test_scheduled_windows_are_billed_for_their_hours(november_sqlite: Store, frozen_clock: FrozenClock) -> None:
    """initech, from Oct 25th: 200M, a nightly window to 600M (01:00-05:00 UTC, daily) and a one-off
    window to 1G on Nov 10th 08:00-20:00.
    Nightly: 30 nights × 4 h = 120 h of (32,000 - 16,000) on 730 h: 16,000 × 120 / 730 = 2,630.14 → 2,630.
    One-off: 12 h of (48,000 - 16,000): 32,000 × 12 / 730 = 526.03 → 526."""
    from unilink import engine
    from unilink.store import tenancy

    with november_sqlite.session(write=True) as session:
        tenancy.add_tenant(session, "initech", "enterprise", "Initech")
    when = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
    frozen_clock.set(when)
    doc = {"sites": [{"name": "initech-hq", "pop": "Paris", "access": {"technology": "fibre", "port": "1G",
                                                                        "down": "1G", "up": "1G"}}],
           "services": [{"kind": "internet", "name": "initech-internet", "site": "initech-hq", "rate": "200M"}],
           "schedules": [{"name": "nightly", "service": "initech-internet", "rate": "600M", "every": "daily",
                          "window": "01:00-05:00"},
                         {"name": "launch", "service": "initech-internet", "rate": "1G",
                          "at": "2026-11-10T08:00:00Z", "until": "2026-11-10T20:00:00Z"}]}
    made = engine.plan(november_sqlite, "initech", doc, now=when, accesses_installed=True)
    engine.apply(november_sqlite, made.id, "carol", "test", now=when)
    frozen_clock.set(NOW)
    lines = invoicing.draft_month(november_sqlite, "initech", "2026-11", now=NOW)["lines"]
    assert {(ln["key"], ln["quantity"], ln["cents"]) for ln in lines if ln["kind"] == "temporary"} == {
        ("schedule nightly", 120, 2_630), ("schedule launch", 12, 526)}
    assert {(ln["key"], ln["cents"]) for ln in lines if ln["kind"] == "service"} == {
        ("access initech-hq", 45_000), ("internet initech-internet", 16_000)}


def test_issues_and_credit_notes_tell_the_tenant_and_refusals_tell_nobody(november: Store) -> None:
    from unilink.events.publish import events_after

    def seen(tenant: str) -> list[tuple[str, dict]]:
        with november.session() as session:
            return [(e.type, e.data) for e in events_after(session, 0, tenant=tenant, operator=False, limit=1000)
                    if e.type.startswith("invoice.")]

    invoice = invoicing.issue_month(november, "acme", "2026-11", now=NOW)
    with pytest.raises(ConflictError):
        invoicing.issue_month(november, "acme", "2026-11", now=NOW)
    invoicing.credit_note(november, invoice["number"], reason="outage", amount_cents=10_000, now=NOW)
    assert seen("acme") == [
        ("invoice.issued", {"number": "UL-000001", "period": "2026-11", "total_cents": NOVEMBER_TOTAL,
                            "currency": "EUR"}),
        ("invoice.credited", {"number": "UL-000002", "corrects": "UL-000001", "total_cents": 12_000,
                              "currency": "EUR"})]
    assert seen("globex") == []
