"""Closing a day: what a seller relies on (nothing lost, nothing twice, clear refusals)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from salespulse.kpis.facts import set_auto_facts
from salespulse.kpis.models import DailyFact
from salespulse.reports.closing import ClosingError, Conflict, Submission, return_report, submit
from salespulse.reports.models import DayReport, ReportVersion
from tests.factories import make_department, make_head, make_seller

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
DAY = date(2026, 3, 2)  # a Monday
BEFORE_DEADLINE = datetime(2026, 3, 2, 18, 30, tzinfo=MSK)
AFTER_DEADLINE = datetime(2026, 3, 2, 19, 30, tzinfo=MSK)


@pytest.fixture
def caller():
    return make_seller("petrov", make_department("cold"), "cold_caller")


def facts(employee):
    return dict(
        DailyFact.objects.filter(employee=employee, day=DAY).values_list("kpi__code", "value")
    )


def test_closing_on_time_writes_a_version_and_the_day_facts(caller):
    report, saved = submit(
        caller,
        DAY,
        Submission(values={"leads": "7"}, comment="Хороший день"),
        caller.user,
        BEFORE_DEADLINE,
    )
    assert saved and report.status == "submitted" and not report.late and report.version == 1
    assert facts(caller) == {"leads": 7}
    version = report.versions.get()
    assert version.values == {"leads": "7.00"} and version.comment == "Хороший день"


def test_after_the_deadline_it_is_late(caller):
    report, _ = submit(caller, DAY, Submission(values={"leads": "7"}), caller.user, AFTER_DEADLINE)
    assert report.late


def test_the_deadline_is_in_the_sellers_own_time_zone(caller):
    caller.timezone = "Asia/Novosibirsk"  # 19:00 there is 15:00 in Moscow
    caller.save()
    report, _ = submit(
        caller,
        DAY,
        Submission(values={"leads": "1"}),
        caller.user,
        datetime(2026, 3, 2, 15, 30, tzinfo=MSK),
    )
    assert report.late


def test_an_edit_after_submission_is_a_new_version_and_the_old_one_stays(caller):
    submit(caller, DAY, Submission(values={"leads": "7"}), caller.user, BEFORE_DEADLINE)
    report, saved = submit(
        caller, DAY, Submission(values={"leads": "9"}, base_version=1), caller.user, AFTER_DEADLINE
    )
    assert saved and report.version == 2
    assert [v.values["leads"] for v in report.versions.order_by("number")] == ["7.00", "9.00"]
    assert facts(caller) == {"leads": 9}
    assert not report.late  # the first submission was on time


def test_a_repeated_submit_creates_nothing_twice(caller):
    token = uuid.uuid4()
    data = Submission(values={"leads": "7"}, token=token)
    submit(caller, DAY, data, caller.user, BEFORE_DEADLINE)
    report, saved = submit(caller, DAY, data, caller.user, BEFORE_DEADLINE)
    assert not saved and report.version == 1
    assert ReportVersion.objects.count() == 1


def test_a_second_tab_saving_over_a_newer_version_is_refused(caller):
    submit(caller, DAY, Submission(values={"leads": "7"}), caller.user, BEFORE_DEADLINE)
    submit(
        caller, DAY, Submission(values={"leads": "8"}, base_version=1), caller.user, BEFORE_DEADLINE
    )
    with pytest.raises(Conflict) as refused:
        submit(
            caller,
            DAY,
            Submission(values={"leads": "1"}, base_version=1),
            caller.user,
            BEFORE_DEADLINE,
        )
    assert refused.value.status == 409
    assert facts(caller) == {"leads": 8} and ReportVersion.objects.count() == 2


def test_two_tabs_both_opened_before_the_first_save(caller):
    submit(caller, DAY, Submission(values={"leads": "7"}), caller.user, BEFORE_DEADLINE)
    with pytest.raises(Conflict):
        submit(caller, DAY, Submission(values={"leads": "3"}), caller.user, BEFORE_DEADLINE)
    assert facts(caller) == {"leads": 7}


@pytest.mark.parametrize(
    "typed, message",
    [
        ("-3", "cannot be negative"),
        ("семь", "is not a number"),
        ("", "Enter a number"),
        ("2.5", "whole number"),
        ("501", "more than a day can hold"),
    ],
)
def test_bad_figures_are_refused_and_nothing_is_saved(caller, typed, message):
    with pytest.raises(ClosingError) as refused:
        submit(caller, DAY, Submission(values={"leads": typed}), caller.user, BEFORE_DEADLINE)
    assert message in refused.value.field_errors["leads"]
    assert not DayReport.objects.exists() and not DailyFact.objects.exists()


def test_calls_above_the_sanity_bound_are_refused(caller):
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))])
    data = Submission(values={"leads": "1"}, corrections={"calls": ("2001", "сбой АТС")})
    with pytest.raises(ClosingError) as refused:
        submit(caller, DAY, data, caller.user, BEFORE_DEADLINE)
    assert "at most 2" in refused.value.field_errors["calls"]


def test_a_future_day_or_one_before_hiring_cannot_be_closed(caller):
    with pytest.raises(ClosingError, match="not come yet"):
        submit(
            caller,
            date(2026, 3, 3),
            Submission(values={"leads": "1"}),
            caller.user,
            BEFORE_DEADLINE,
        )
    caller.hired_on = date(2026, 3, 10)
    caller.save()
    with pytest.raises(ClosingError, match="joined on 10.03.2026"):
        submit(caller, DAY, Submission(values={"leads": "1"}), caller.user, BEFORE_DEADLINE)
    assert not DayReport.objects.exists()


def test_a_missed_past_day_can_be_closed_and_is_late(caller):
    report, _ = submit(
        caller, date(2026, 2, 27), Submission(values={"leads": "2"}), caller.user, BEFORE_DEADLINE
    )
    assert report.late


def test_a_correction_keeps_both_figures_and_needs_a_reason(caller):
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))])
    with pytest.raises(ClosingError) as refused:
        submit(
            caller,
            DAY,
            Submission(values={"leads": "1"}, corrections={"calls": ("95", " ")}),
            caller.user,
            BEFORE_DEADLINE,
        )
    assert "why" in refused.value.field_errors["calls"]
    report, _ = submit(
        caller,
        DAY,
        Submission(values={"leads": "1"}, corrections={"calls": ("95", "звонки с мобильного")}),
        caller.user,
        BEFORE_DEADLINE,
    )
    assert report.versions.get().corrections == {
        "calls": {"auto": "80.00", "value": "95.00", "reason": "звонки с мобильного"}
    }
    fact = DailyFact.objects.get(employee=caller, kpi__code="calls", day=DAY)
    assert (fact.value, fact.auto_value) == (95, 80)
    # Taking the correction back shows what telephony saw again.
    submit(
        caller, DAY, Submission(values={"leads": "1"}, base_version=1), caller.user, BEFORE_DEADLINE
    )
    fact.refresh_from_db()
    assert (fact.value, fact.source) == (80, "auto")


def test_a_returned_report_is_resubmitted_as_a_new_version(caller):
    head = make_head("boss", [caller.department])
    report, _ = submit(caller, DAY, Submission(values={"leads": "7"}), caller.user, BEFORE_DEADLINE)
    with pytest.raises(ClosingError, match="what needs correcting"):
        return_report(report, head, "  ")
    return_report(report, head, "Лиды не сходятся с CRM")
    report.refresh_from_db()
    assert report.status == "returned" and report.returned_by == head
    with pytest.raises(ClosingError, match="already been returned"):
        return_report(report, head, "ещё раз")
    report, saved = submit(
        caller,
        DAY,
        Submission(values={"leads": "5"}, base_version=report.version),
        caller.user,
        AFTER_DEADLINE,
    )
    assert saved and report.status == "submitted" and report.versions.count() == 2
