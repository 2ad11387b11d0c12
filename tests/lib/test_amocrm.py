"""amoCRM's leads, statuses, users and webhook bodies read as documented (lib.crm.amocrm)."""

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.crm import amocrm
from salespulse.lib.crm.formats import DealRecord, RowError
from salespulse.lib.crm.people import Person, match_users
from salespulse.lib.crm.stages import StageKind
from tests.fake_amocrm import FakeAmo

PIPELINES = {"_embedded": {"pipelines": FakeAmo().pipelines}}


def leads(*items):
    return list(
        amocrm.read_leads(
            items, statuses=amocrm.Statuses.read(PIPELINES), sellers={7: "volkov"},
            users={8: amocrm.AmoUser(8, "Иван Чужой", "ivan@x.ru")},
            clients={("companies", 5): "ООО «Альфа»", ("contacts", 6): "Пётр Иванов"},
            currency="RUB",
        )
    )  # fmt: skip


def lead(**fields):
    lead = FakeAmo().lead(1, user=7)
    lead.update(fields)
    return lead


def test_statuses_142_and_143_are_won_and_lost_under_every_name():
    statuses = amocrm.Statuses.read(PIPELINES)
    assert statuses.pipelines == 2
    assert statuses.name(3001, 142) == "Оплачено"
    assert statuses.name(3002, 142) == "Контракт подписан"
    assert statuses.name(3002, 40002) == "Переговоры"  # a status id is the account's
    assert statuses.name(9999, 142) == "Оплачено"
    assert amocrm.Statuses().name(1, 143) == "Закрыто и не реализовано"
    assert statuses.closing() == {
        "Оплачено": StageKind.WON, "Контракт подписан": StageKind.WON,
        "Успешно реализовано": StageKind.WON, "Отказ клиента": StageKind.LOST,
        "Закрыто и не реализовано": StageKind.LOST,
    }  # fmt: skip


def test_a_won_lead_becomes_a_deal_record_like_an_export_row():
    (record,) = leads(
        lead(id=101, status_id=142, pipeline_id=3002, price=150000, closed_at=1772100000,
             updated_at=1772100005, _embedded={"companies": [{"id": 5}], "contacts": [{"id": 6}]})
    )  # fmt: skip
    assert record == DealRecord(
        line=101, external_id="101", title="Сделка #1", client="ООО «Альфа»", seller="volkov",
        stage="Контракт подписан", amount=Decimal("150000.00"), currency="RUB",
        created_at=record.created_at, closed_at=datetime(2026, 2, 26, 10, 0, tzinfo=UTC),
    )  # fmt: skip


def test_lead_values_as_real_accounts_have_them():
    no_price, contact_only, stranger, open_lead = leads(
        lead(id=1, price=None),
        lead(id=2, _embedded={"contacts": [{"id": 99}, {"id": 6, "is_main": True}]}),
        lead(id=3, responsible_user_id=8),
        lead(id=4, closed_at=None, updated_at=1772000300),
    )
    assert no_price.amount == 0
    assert contact_only.client == "Пётр Иванов"
    assert stranger.seller == "Иван Чужой"  # the pipeline reports them by name
    assert open_lead.closed_at == datetime.fromtimestamp(1772000300, UTC)  # «Дата редактирования»


def test_unreadable_leads_are_refused_by_id_and_deleted_ones_skipped():
    found = leads(
        lead(id=1, responsible_user_id=None),
        lead(id=2, price=-5),
        lead(id=3, closed_at=4102444800),  # 2100
        lead(id=4, is_deleted=True),
        {"name": "no id"},
    )
    assert [(e.line, type(e)) for e in found] == [(1, RowError), (2, RowError), (3, RowError)]


def test_users_match_by_mapping_crm_id_email_then_name():
    people = [
        Person("volkov", "Павел Волков", "volkov@firm.ru"),
        Person("lebedev", "Андрей Лебедев", crm_id="17"),
        Person("novikova", "Елена Новикова", "shared@firm.ru"),
        Person("orlov", "Олег Орлов", "shared@firm.ru"),
    ]
    users = amocrm.read_users({"_embedded": {"users": [
        {"id": 1, "name": "Паша", "email": "VOLKOV@firm.ru"},
        {"id": 17, "name": "Кто-то", "email": ""},
        {"id": 3, "name": "Новикова Елена Петровна", "email": "shared@firm.ru"},
        {"id": 4, "name": "Менеджер 4", "email": "m4@firm.ru"},
        {"id": 5, "name": "Олег Орлов", "email": "volkov@firm.ru"},
        {"id": "x"},
    ]}})  # fmt: skip
    assert len(users) == 5
    found = match_users(users, people, {"5": "Orlov"})
    assert found == {"1": "volkov", "17": "lebedev", "3": "novikova", "5": "orlov"}


def test_pages_and_answers_of_odd_shape():
    assert amocrm.embedded(None, "leads") == []
    assert amocrm.embedded({"_embedded": []}, "leads") == []
    assert amocrm.next_link({"_links": {"next": {"href": "https://x/api/v4/leads?page=2"}}})
    assert amocrm.next_link({"_links": {"self": {}}}) == ""
    assert amocrm.updated([{"updated_at": 5}, {"updated_at": None}, {}]) == 5


# --- webhooks ----------------------------------------------------------------------------

STATUS_BODY = (
    "leads%5Bstatus%5D%5B0%5D%5Bid%5D=25399013&leads%5Bstatus%5D%5B0%5D%5Bname%5D="
    "%D0%A1%D0%B4%D0%B5%D0%BB%D0%BA%D0%B0&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142"
    "&leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D=40002&leads%5Bstatus%5D%5B0%5D%5Bprice%5D="
    "&leads%5Bstatus%5D%5B0%5D%5Bresponsible_user_id%5D=7&leads%5Bstatus%5D%5B0%5D"
    "%5Blast_modified%5D=1772100000&leads%5Bstatus%5D%5B0%5D%5Bdate_create%5D=1772000000"
    "&leads%5Bstatus%5D%5B0%5D%5Bupdated_at%5D=1772100000&leads%5Bstatus%5D%5B0%5D"
    "%5Bpipeline_id%5D=3001&leads%5Bstatus%5D%5B0%5D%5Bold_pipeline_id%5D=3001"
    "&leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bid%5D=5001"
    "&leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=web"
    "&leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B1%5D%5Bvalues%5D%5B0%5D=raw"
    "&leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B1%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=both"
    "&account%5Bsubdomain%5D=romashka&account%5Bid%5D=29000000"
)


def test_a_status_hook_as_amocrm_sends_it():
    hook = amocrm.read_hook(STATUS_BODY.encode())
    assert (hook.changed, hook.deleted, hook.subdomain) == (["25399013"], [], "romashka")
    form = amocrm.parse_form(STATUS_BODY)
    fields = form["leads"]["status"]["0"]
    assert fields["price"] == "" and fields["last_modified"] == "1772100000"
    assert fields["custom_fields"]["1"]["values"]["0"] == {"value": "both"}


def test_events_batches_and_deletes():
    body = (
        "leads[add][0][id]=1&leads[add][1][id]=2&leads[update][0][id]=2"
        "&leads[responsible][0][id]=3&leads[delete][0][id]=4&leads[delete][1][id]=1"
        "&leads[note][0][id]=5&leads[update][1][id]=abc&contacts[add][0][id]=6"
    )
    hook = amocrm.read_hook(body)
    assert (hook.changed, hook.deleted) == (["2", "3"], ["4", "1"])


def test_a_body_cut_off_mid_key_keeps_what_was_read():
    cut = STATUS_BODY[: STATUS_BODY.index("status_id") + 4]
    assert amocrm.read_hook(cut).changed == ["25399013"]
    assert amocrm.read_hook("leads[status][0][id]=7&leads[status][0").changed == ["7"]
    assert amocrm.read_hook("leads[update][0][id").changed == []


@given(st.binary(max_size=400))
def test_no_body_breaks_the_reader(body):
    hook = amocrm.read_hook(body)
    assert all(i.isdigit() for i in hook.changed + hook.deleted)


@given(st.integers(min_value=0, max_value=len(STATUS_BODY)), st.text(max_size=30))
def test_no_cut_or_tail_breaks_the_reader(cut, tail):
    hook = amocrm.read_hook(STATUS_BODY[:cut] + tail)
    whole_id = STATUS_BODY.index("&", STATUS_BODY.index("25399013"))
    if cut > whole_id:
        assert "25399013" in hook.changed


def test_the_account_of_an_address():
    assert amocrm.subdomain_of("https://romashka.amocrm.ru") == "romashka"
    assert amocrm.subdomain_of("https://romashka.kommo.com/") == "romashka"
    assert amocrm.subdomain_of("http://127.0.0.1:8000") == ""
