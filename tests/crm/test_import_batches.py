"""CRM imports commit in batches (issue 18): what a file leaves is the same however it is cut,
a failure part-way keeps whole batches only, and importing the file again finishes the job."""

import io
import random
from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection

from salespulse.crm import importer
from salespulse.crm.files import import_file
from salespulse.crm.importer import ImportResult, delete_deals
from salespulse.crm.models import Client, Deal
from salespulse.kpis.models import DailyFact
from tests.crm.exports import D, bitrix24_csv, clients_csv

SELLERS = ["Павел Волков", "Андрей Лебедев", "Елена Новикова"]
STAGES = ["Сделка успешна"] * 3 + ["Сделка провалена", "Новая"]
COMPANIES = [f"ООО «Клиент {i}»" for i in range(8)]


def deals(count: int = 60, seed: int = 18) -> list[D]:
    rng = random.Random(seed)
    return [
        D(str(i), rng.choice(SELLERS), rng.choice(STAGES), Decimal(rng.randint(1, 900) * 100),
          f"{rng.randint(1, 28):02d}.{rng.choice([1, 2, 3]):02d}.2026 {rng.randint(9, 20)}:00:00",
          company=rng.choice(COMPANIES), repeat=rng.choice(["Да", "Нет", "Нет"]))
        for i in range(1, count + 1)
    ]  # fmt: skip


def clients() -> bytes:
    rows = [(name, "Новикова Елена", f"{i + 1:02d}.01.2026") for i, name in enumerate(COMPANIES)]
    return clients_csv(rows[:5], "cp1251")


def state() -> dict:
    """What an import leaves, by natural keys (row ids depend on the order of writing)."""
    return {
        "deals": set(
            Deal.objects.values_list(
                "source", "external_id", "employee_id", "client__key", "status", "day",
                "amount", "is_repeat", "crm_repeat",
            )
        ),
        "clients": set(
            Client.objects.values_list("key", "manager_id", "handed_over_on", "assigned_by")
        ),
        "facts": set(
            DailyFact.objects.values_list(
                "employee_id", "kpi__code", "day", "value", "auto_value", "source"
            )
        ),
    }  # fmt: skip


def forget_everything() -> None:
    Deal.objects.all().delete()
    Client.objects.all().delete()
    DailyFact.objects.all().delete()


@pytest.fixture
def batches(monkeypatch):
    """Batches of `size` records, without the pause SQLite's waiting writers get."""

    def cut(size: int) -> None:
        monkeypatch.setattr(importer, "BATCH_SIZE", size)
        monkeypatch.setattr(importer, "LOCK_PAUSE", 0)

    return cut


def import_all(file: bytes | None = None) -> tuple[ImportResult, ImportResult]:
    return (
        import_file(io.BytesIO(clients()), kind="clients"),
        import_file(io.BytesIO(file or bitrix24_csv(deals()))),
    )


def test_an_import_cut_in_batches_leaves_what_one_transaction_leaves(company, batches):
    batches(10**6)
    whole = import_all()[1]
    expected = state()
    assert whole.created == 60 and whole.error_count == 0
    assert any(repeat for *_, repeat, _crm in expected["deals"])
    forget_everything()
    for size in (1, 7):
        batches(size)
        cut = import_all()[1]
        assert state() == expected, size
        assert (cut.created, cut.clients_created, cut.error_count) == (60, whole.clients_created, 0)
        forget_everything()


def test_reimporting_in_batches_changes_nothing(company, batches):
    batches(7)
    import_all()
    before = state()
    client_result, deal_result = import_all()
    assert (deal_result.unchanged, deal_result.created, deal_result.updated) == (60, 0, 0)
    assert (client_result.unchanged, client_result.created, client_result.updated) == (5, 0, 0)
    assert deal_result.facts_changed == client_result.facts_changed == 0
    assert state() == before


def test_a_newer_export_in_batches_updates_what_moved(company, batches):
    batches(7)
    import_all()
    newer = deals()
    newer[3].amount, newer[40].stage, newer[50].closed = Decimal(1), "Новая", "01.04.2026 10:00:00"
    result = import_all(bitrix24_csv(newer))[1]
    assert (result.created, result.updated, result.unchanged) == (0, 3, 57)
    after = state()
    forget_everything()
    batches(10**6)
    import_all(bitrix24_csv(newer))
    assert state() == after


def _fail_on_deal(external_id: str) -> None:
    """The database refuses to store this deal, as a full disk or a killed worker would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_deal() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.external_id = '{external_id}' THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_deal BEFORE INSERT ON crm_deal "
                "FOR EACH ROW EXECUTE FUNCTION refuse_deal()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_deal BEFORE INSERT ON crm_deal "
                f"WHEN NEW.external_id = '{external_id}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


def _accept_deals() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER refuse_deal ON crm_deal"
            if connection.vendor == "postgresql"
            else "DROP TRIGGER refuse_deal"
        )


def test_a_failure_part_way_keeps_whole_batches_and_a_reimport_finishes(company, batches):
    file = deals()
    file.append(D("last", "Павел Волков", "Сделка успешна", Decimal(5), "30.03.2026 18:00:00",
                  company=COMPANIES[0]))  # fmt: skip
    batches(10**6)
    import_all(bitrix24_csv(file))
    expected = state()
    forget_everything()
    batches(7)
    _fail_on_deal("last")  # the last deal closed: in the last batch
    with pytest.raises(DatabaseError):
        import_all(bitrix24_csv(file))
    assert Deal.objects.count() == 56  # eight whole batches of seven
    # What was committed is consistent: each stored won deal's day has its figure.
    volkov = company["volkov"]
    won = Deal.objects.filter(status=Deal.Status.WON, employee=volkov, currency="RUB")
    counted = DailyFact.objects.filter(employee=volkov, kpi__code="deals_count")
    assert set(won.values_list("day", flat=True)) == set(counted.values_list("day", flat=True))
    _accept_deals()
    import_all(bitrix24_csv(file))
    assert state() == expected


def test_deleted_deals_leave_in_batches_with_their_figures(company, batches):
    batches(7)
    import_all()
    result = delete_deals([str(i) for i in range(1, 61)] + ["never"], "bitrix24", ImportResult())
    assert result.deleted == 60
    assert not Deal.objects.exists()
    assert not DailyFact.objects.filter(kpi__code__in=["deals_count", "deals_sum"]).exists()


def test_an_earlier_deal_makes_a_stored_one_a_repeat_and_its_day_follows(company, batches):
    batches(7)
    import_file(io.BytesIO(clients()), kind="clients")
    alpha = COMPANIES[0]  # Новикова's since January
    march = D("m", "Елена Новикова", "Сделка успешна", Decimal(300), "20.03.2026 12:00:00",
              company=alpha)  # fmt: skip
    import_file(io.BytesIO(bitrix24_csv([march])))
    assert Deal.objects.get(external_id="m").is_repeat is False
    assert not DailyFact.objects.filter(kpi__code="repeat_deals").exists()
    january = D("j", "Павел Волков", "Сделка успешна", Decimal(100), "15.01.2026 12:00:00",
                company=alpha)  # fmt: skip
    import_file(io.BytesIO(bitrix24_csv([january])))
    assert Deal.objects.get(external_id="m").is_repeat is True
    repeat = DailyFact.objects.filter(employee=company["novikova"], kpi__code="repeat_deals")
    assert list(repeat.values_list("day", "value")) == [(date(2026, 3, 20), 1)]
