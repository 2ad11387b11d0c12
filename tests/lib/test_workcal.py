from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salespulse.lib.workcal import MonthSummary, SellerCalendar, WorkCalendar

# The official production calendars (Consultant/Garant, after the government's decrees on
# transfers of days off), working days per month for a five-day week.
OFFICIAL_RU = {
    2024: [17, 20, 20, 21, 20, 19, 23, 22, 21, 23, 21, 21],
    2025: [17, 20, 21, 22, 18, 19, 23, 21, 22, 23, 19, 22],
    2026: [15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22],
}
OFFICIAL_RU_TOTAL = {2024: 248, 2025: 247, 2026: 247}

RU = WorkCalendar("RU")


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize("year", sorted(OFFICIAL_RU))
def test_official_russian_calendar_month_by_month(year):
    assert [m.working_days for m in RU.year(year)] == OFFICIAL_RU[year]
    assert sum(OFFICIAL_RU[year]) == OFFICIAL_RU_TOTAL[year]
    assert RU.count_working_days(date(year, 1, 1), date(year, 12, 31)) == OFFICIAL_RU_TOTAL[year]
    assert len(RU.working_days(date(year, 1, 1), date(year, 12, 31))) == OFFICIAL_RU_TOTAL[year]


@pytest.mark.parametrize("day", ["2024-04-27", "2024-11-02", "2024-12-28", "2025-11-01"])
def test_transferred_working_saturdays(day):
    assert d(day).weekday() == 5
    assert RU.is_working(d(day))


@pytest.mark.parametrize(
    "day",
    [
        # Substituted days off (a weekend holiday's day off moved by decree).
        "2024-04-29",
        "2024-04-30",
        "2024-05-10",
        "2024-12-30",
        "2024-12-31",
        "2025-05-02",
        "2025-05-08",
        "2025-06-13",
        "2025-11-03",
        "2025-12-31",
        "2026-01-09",
        "2026-12-31",
        # A holiday falling on a weekend moves to the next working day.
        "2026-03-09",
        "2026-05-11",
        # Public holidays.
        "2025-01-08",
        "2024-02-23",
        "2025-06-12",
        "2025-11-04",
        "2026-02-23",
    ],
)
def test_weekdays_off(day):
    assert d(day).weekday() < 5
    assert not RU.is_working(d(day))


def test_ordinary_days():
    assert RU.is_working(d("2025-06-11"))  # Wednesday
    assert not RU.is_working(d("2025-06-14"))  # Saturday
    assert not RU.is_working(d("2025-06-15"))  # Sunday
    assert RU.is_working(d("2026-01-12"))  # first working day of 2026


def test_month_summary_november_2024():
    assert RU.month(2024, 11) == MonthSummary(
        month=11, working_days=21, days_off=[d("2024-11-04")], working_weekends=[d("2024-11-02")]
    )


def test_month_summary_december_2024():
    summary = RU.month(2024, 12)
    assert summary.working_days == 21
    assert summary.days_off == [d("2024-12-30"), d("2024-12-31")]
    assert summary.working_weekends == [d("2024-12-28")]


def test_month_summary_january_2026():
    summary = RU.month(2026, 1)
    assert summary.working_days == 15
    assert summary.days_off == [
        d("2026-01-01"),
        d("2026-01-02"),
        d("2026-01-05"),
        d("2026-01-06"),
        d("2026-01-07"),
        d("2026-01-08"),
        d("2026-01-09"),
    ]
    assert summary.working_weekends == []


def test_year_has_twelve_months_in_order():
    months = RU.year(2025)
    assert [m.month for m in months] == list(range(1, 13))
    assert months[4].working_days == 18


def test_working_days_is_inclusive_and_sorted():
    days = RU.working_days(d("2025-04-28"), d("2025-05-12"))
    assert days == [
        d("2025-04-28"),
        d("2025-04-29"),
        d("2025-04-30"),
        d("2025-05-05"),
        d("2025-05-06"),
        d("2025-05-07"),
        d("2025-05-12"),
    ]
    assert RU.count_working_days(d("2025-04-28"), d("2025-05-12")) == 7


def test_working_days_across_years():
    days = RU.working_days(d("2024-12-27"), d("2025-01-10"))
    assert days == [d("2024-12-27"), d("2024-12-28"), d("2025-01-09"), d("2025-01-10")]
    assert RU.count_working_days(d("2024-12-27"), d("2025-01-10")) == 4


def test_empty_and_single_day_ranges():
    assert RU.working_days(d("2025-06-20"), d("2025-06-19")) == []
    assert RU.count_working_days(d("2025-06-20"), d("2025-06-19")) == 0
    assert RU.working_days(d("2025-06-11"), d("2025-06-11")) == [d("2025-06-11")]
    assert RU.count_working_days(d("2025-06-14"), d("2025-06-14")) == 0


def test_overrides_win_both_ways():
    cal = WorkCalendar(
        "RU",
        overrides={
            d("2025-12-31"): True,  # a substituted day off the company works
            d("2025-06-14"): True,  # a Saturday the company works
            d("2025-06-11"): False,  # an ordinary Wednesday the company gives off
            d("2025-11-01"): False,  # a transferred working Saturday the company keeps off
        },
    )
    assert cal.is_working(d("2025-12-31"))
    assert cal.is_working(d("2025-06-14"))
    assert not cal.is_working(d("2025-06-11"))
    assert not cal.is_working(d("2025-11-01"))
    june = cal.month(2025, 6)
    assert june.working_days == OFFICIAL_RU[2025][5]  # one day added, one taken
    assert june.working_weekends == [d("2025-06-14")]
    assert june.days_off == [d("2025-06-11"), d("2025-06-12"), d("2025-06-13")]
    assert cal.month(2025, 11).working_days == OFFICIAL_RU[2025][10] - 1
    assert cal.month(2025, 12).days_off == []
    # The country calendar shared by everyone is untouched.
    assert not RU.is_working(d("2025-12-31"))
    assert RU.is_working(d("2025-11-01"))


def test_country_is_normalised():
    assert WorkCalendar().country == "RU"
    assert WorkCalendar("kz").country == "KZ"


@pytest.mark.parametrize("code", ["XX", "", "RUS", "Russia"])
def test_unknown_country_raises(code):
    with pytest.raises(ValueError, match=f"Unknown country code: {code}"):
        WorkCalendar(code)


def test_belarus():
    by = WorkCalendar("BY")
    assert not by.is_working(d("2025-07-03"))  # Independence Day
    assert not by.is_working(d("2025-07-04"))  # day off transferred from Sat 12 July
    assert by.is_working(d("2025-07-12"))
    assert by.is_working(d("2025-06-12"))  # Russia Day is not a Belarusian holiday
    assert d("2025-07-12") in by.month(2025, 7).working_weekends


def test_kazakhstan():
    kz = WorkCalendar("KZ")
    assert not kz.is_working(d("2025-03-21"))  # Nauryz
    assert not kz.is_working(d("2025-12-16"))  # Independence Day
    assert kz.is_working(d("2025-06-12"))


def test_seller_vacation_hire_and_leave():
    seller = SellerCalendar(
        RU,
        absences=[(d("2025-06-16"), d("2025-06-20")), (d("2025-06-18"), d("2025-06-24"))],
        hired_on=d("2025-06-04"),
        left_on=d("2025-06-27"),
    )
    june = seller.working_days(d("2025-06-01"), d("2025-06-30"))
    assert june == [
        d("2025-06-04"),
        d("2025-06-05"),
        d("2025-06-06"),
        d("2025-06-09"),
        d("2025-06-10"),
        d("2025-06-11"),
        d("2025-06-25"),
        d("2025-06-26"),
        d("2025-06-27"),
    ]
    assert not seller.is_working(d("2025-06-03"))  # before hiring
    assert seller.is_working(d("2025-06-04"))  # the hiring day is a working day
    assert not seller.is_working(d("2025-06-12"))  # a holiday for everyone
    assert not seller.is_working(d("2025-06-16"))
    assert not seller.is_working(d("2025-06-24"))  # the last day of the overlapping absence
    assert seller.is_working(d("2025-06-27"))  # the leaving day is still a working day
    assert not seller.is_working(d("2025-06-30"))  # after leaving
    assert seller.working_days(d("2025-07-01"), d("2025-07-31")) == []
    assert seller.working_days(d("2025-05-01"), d("2025-05-31")) == []


def test_seller_without_absences_follows_the_company():
    cal = WorkCalendar("RU", overrides={d("2025-06-14"): True})
    seller = SellerCalendar(cal)
    assert seller.working_days(d("2025-06-01"), d("2025-06-30")) == cal.working_days(
        d("2025-06-01"), d("2025-06-30")
    )
    assert seller.is_working(d("2025-06-14"))


def test_seller_absence_ending_before_start_is_rejected():
    with pytest.raises(ValueError):
        SellerCalendar(RU, absences=[(d("2025-06-20"), d("2025-06-16"))])


dates = st.dates(min_value=date(1995, 1, 1), max_value=date(2040, 12, 31))
recent = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=300, deadline=None)
@given(st.lists(dates, min_size=3, max_size=3).map(sorted))
def test_counts_add_up_over_a_split_range(points):
    a, b, c = points
    whole = RU.count_working_days(a, c)
    assert whole == RU.count_working_days(a, b) + RU.count_working_days(b + timedelta(days=1), c)
    assert whole == len(RU.working_days(a, c))


@settings(max_examples=100, deadline=None)
@given(dates, st.integers(min_value=0, max_value=60))
def test_working_days_agree_with_is_working(start, length):
    end = start + timedelta(days=length)
    expected = [start + timedelta(days=i) for i in range(length + 1)]
    assert RU.working_days(start, end) == [day for day in expected if RU.is_working(day)]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(recent, st.integers(min_value=0, max_value=40)), max_size=5),
    recent,
    st.integers(min_value=0, max_value=90),
)
def test_seller_days_agree_with_is_working(absences, start, length):
    seller = SellerCalendar(
        RU,
        absences=[(s, s + timedelta(days=n)) for s, n in absences],
        hired_on=date(2024, 3, 1),
        left_on=date(2026, 10, 31),
    )
    end = start + timedelta(days=length)
    expected = [start + timedelta(days=i) for i in range(length + 1)]
    assert seller.working_days(start, end) == [day for day in expected if seller.is_working(day)]
