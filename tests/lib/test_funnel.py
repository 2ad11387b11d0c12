"""The funnel: stages, conversions against the team median, and where output is lost."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from salespulse.lib.funnel import STAGES, Step, build, conversion
from salespulse.lib.funnel_chart import funnel_bars

D = Decimal
CALLS_CONV = Step("calls", "conversations")
CONV_LEADS = Step("conversations", "leads")
LEADS_DEALS = Step("leads", "deals_count")
CHECK = Step("deals_count", "deals_sum")


def caller(calls, conversations, leads):
    return {"calls": D(calls), "conversations": D(conversations), "leads": D(leads)}


def test_stages_nobody_has_are_skipped():
    funnel = build({"a": caller(100, 40, 8), "b": caller(200, 60, 6)})
    assert funnel.stages == ("calls", "conversations", "leads")
    assert funnel.steps == (CALLS_CONV, CONV_LEADS)


def test_a_missing_middle_stage_makes_one_step_across_it():
    funnel = build({"a": {"conversations": D(50), "deals_count": D(5), "deals_sum": D(500)}})
    assert funnel.steps == (Step("conversations", "deals_count"), CHECK)
    assert funnel.team.conversions[Step("conversations", "deals_count")] == D("0.1")


def test_team_values_and_conversions_are_of_the_sums():
    funnel = build({"a": caller(100, 40, 8), "b": caller(300, 60, 4)})
    assert funnel.team.values == {"calls": 400, "conversations": 100, "leads": 12}
    assert funnel.team.conversions[CALLS_CONV] == D("0.25")
    assert funnel.team.conversions[CONV_LEADS] == D("0.12")


def test_conversion_is_none_without_a_base():
    assert conversion(D(0), D(5)) is None
    assert conversion(None, D(5)) is None
    assert conversion(D(5), None) is None
    funnel = build({"a": caller(0, 0, 0), "b": caller(100, 40, 8)})
    assert funnel.sellers[0].conversions[CALLS_CONV] is None
    # Only sellers with a non-zero base count towards the median.
    assert funnel.medians[CALLS_CONV] == D("0.4")


def test_the_bottleneck_is_where_most_final_output_is_lost():
    funnel = build(
        {
            "good": caller(100, 40, 10),  # 40 %, 25 %
            "median": caller(100, 30, 6),  # 30 %, 20 %
            "talks_badly": caller(100, 30, 3),  # 30 %, 10 %: loses 3 leads at conv → leads
            "dials_badly": caller(100, 20, 4),  # 20 %, 20 %: loses 10 conversations = 2 leads
        }
    )
    assert funnel.medians == {CALLS_CONV: D("0.3"), CONV_LEADS: D("0.2")}
    talks, dials = funnel.row("talks_badly"), funnel.row("dials_badly")
    assert talks.lost[CONV_LEADS] == D(3) and talks.loss[CONV_LEADS] == D(3)
    assert talks.bottleneck == CONV_LEADS
    assert dials.lost[CALLS_CONV] == D(10)
    assert dials.loss[CALLS_CONV] == D(2)  # through their own 20 % into leads
    assert dials.bottleneck == CALLS_CONV
    assert funnel.row("good").bottleneck is None
    assert funnel.row("median").bottleneck is None
    assert funnel.loss_by_step == {CALLS_CONV: D(2), CONV_LEADS: D(3)}
    assert funnel.bottleneck == CONV_LEADS
    summary = funnel.summaries[CONV_LEADS]
    assert summary.below == 1 and summary.lost == D(3) and summary.gap == D("-0.1")


def test_a_low_average_check_loses_revenue_too():
    funnel = build(
        {
            "a": {"deals_count": D(10), "deals_sum": D(100_000)},
            "b": {"deals_count": D(10), "deals_sum": D(50_000)},
            "c": {"deals_count": D(10), "deals_sum": D(80_000)},
        }
    )
    assert CHECK.per_unit
    assert funnel.medians[CHECK] == D(8000)
    assert funnel.row("b").loss[CHECK] == D(30_000)
    assert funnel.bottleneck == CHECK


def test_loss_is_carried_to_revenue_at_the_median_where_the_seller_has_no_rate():
    funnel = build(
        {
            # Zero leads: no own rate into deals, the team median (50 %) carries.
            "a": {"conversations": D(100), "leads": D(0), "deals_count": D(0),
                  "deals_sum": D(0)},
            "b": {"conversations": D(100), "leads": D(20), "deals_count": D(10),
                  "deals_sum": D(1000)},
            "c": {"conversations": D(100), "leads": D(20), "deals_count": D(10),
                  "deals_sum": D(1000)},
        }
    )  # fmt: skip
    a = funnel.row("a")
    assert a.lost[Step("conversations", "leads")] == D(20)
    assert a.loss[Step("conversations", "leads")] == D(20) * D("0.5") * D(100)


def test_a_mixed_department_hands_leads_from_callers_to_closers():
    funnel = build(
        {
            "caller": caller(100, 40, 10),
            "closer": {"deals_count": D(4), "deals_sum": D(400)},
        }
    )
    assert funnel.stages == STAGES
    # Nobody has both leads and deals: no median, nobody compared on that step...
    assert funnel.medians[LEADS_DEALS] is None
    # ...but the department's conversion is there.
    assert funnel.team.conversions[LEADS_DEALS] == D("0.4")
    assert funnel.bottleneck is None


def test_empty_funnel():
    funnel = build({})
    assert funnel.stages == () and funnel.steps == () and funnel.bottleneck is None
    assert funnel_bars(funnel, {}, "t") == ""


def test_the_chart_escapes_labels_and_marks_the_bottleneck():
    funnel = build({"a": caller(100, 40, 10), "b": caller(100, 40, 2)})
    svg = funnel_bars(
        funnel,
        {"calls": "<Звонки>", "conversations": "Разговоры", "leads": "Лиды"},
        'Воронка "отдела"',
    )
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-label="Воронка &quot;отдела&quot;"' in svg
    assert "&lt;Звонки&gt;" in svg and "<Звонки>" not in svg
    assert svg.count('class="step bottleneck"') == 1
    assert "stage-leads bottleneck" in svg
    assert "↓ 40\u00a0%" in svg  # calls → conversations
    # A seller's own funnel marks their own bottleneck.
    assert 'class="step bottleneck"' not in funnel_bars(funnel, {}, "a", row=funnel.row("a"))


# -- properties ----------------------------------------------------------------------------

figure = st.one_of(st.none(), st.integers(0, 500).map(D))
money = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2).map(D))
seller = st.fixed_dictionaries(
    {
        "calls": figure,
        "conversations": figure,
        "leads": figure,
        "deals_count": figure,
        "deals_sum": money,
    }
)
teams = st.lists(seller, max_size=8).map(lambda sellers: dict(enumerate(sellers)))


@settings(max_examples=200)
@given(teams)
def test_team_values_are_the_sums_of_sellers(team):
    funnel = build(team)
    for stage in funnel.stages:
        known = [f[stage] for f in team.values() if f[stage] is not None]
        assert funnel.team.values[stage] == sum(known)
    assert all(any(f[s] is not None for f in team.values()) for s in funnel.stages)
    assert list(funnel.stages) == [s for s in STAGES if s in funnel.stages]


@settings(max_examples=200)
@given(teams)
def test_medians_lie_within_the_sellers_conversions(team):
    funnel = build(team)
    for step, median in funnel.medians.items():
        rates = [r.conversions[step] for r in funnel.sellers if r.conversions[step] is not None]
        if not rates:
            assert median is None
        else:
            assert min(rates) <= median <= max(rates)


@settings(max_examples=200)
@given(teams)
def test_losses_are_never_negative_and_add_up_to_the_team(team):
    funnel = build(team)
    for row in funnel.sellers:
        assert all(v >= 0 for v in row.loss.values())
        assert all(v >= 0 for v in row.lost.values())
    for step in funnel.steps:
        assert funnel.loss_by_step[step] == sum(r.loss[step] for r in funnel.sellers)
    if funnel.bottleneck is not None:
        assert funnel.loss_by_step[funnel.bottleneck] == max(funnel.loss_by_step.values())


@settings(max_examples=200)
@given(teams)
def test_at_or_above_the_median_everywhere_loses_nothing(team):
    funnel = build(team)
    for row in funnel.sellers:
        below = [
            s
            for s in funnel.steps
            if row.conversions[s] is not None
            and funnel.medians[s] is not None
            and row.conversions[s] < funnel.medians[s]
        ]
        if not below:
            assert row.bottleneck is None
            assert all(v == 0 for v in row.loss.values())
        else:
            assert row.bottleneck in below


@settings(max_examples=100)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=8), st.tuples(*[st.integers(1, 9)] * 5))
def test_sellers_in_proportion_are_all_at_the_median(scales, shape):
    # Every seller converts exactly alike: everyone is the median, nobody loses anything.
    team = {i: {s: D(k * v) for s, v in zip(STAGES, shape, strict=True)} for i, k in
            enumerate(scales)}  # fmt: skip
    funnel = build(team)
    assert funnel.bottleneck is None
    assert all(v == 0 for r in funnel.sellers for v in r.loss.values())
    for step in funnel.steps:
        assert all(r.conversions[step] == funnel.medians[step] for r in funnel.sellers)
