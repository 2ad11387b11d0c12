from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.ranking import Entry, change_points, most_improved, rank, ranked_count

D = Decimal


def places(ranking):
    return [(r.entry.name, r.rank) for r in ranking]


def test_a_small_quota_beaten_ranks_above_a_big_quota_missed():
    # 12 deals of a 10 plan against 90 of a 100 plan: more deals, but further from plan.
    ranking = rank([Entry("big", "Большой", D("0.9")), Entry("small", "Малый", D("1.2"))])
    assert places(ranking) == [("Малый", 1), ("Большой", 2)]


def test_ties_share_a_place_and_the_next_one_skips():
    entries = [
        Entry(1, "Дмитриев", D("0.8")),
        Entry(2, "Борисов", D("1.0")),
        Entry(3, "Антонов", D("1.0")),
        Entry(4, "Волков", D("1.3")),
    ]
    assert places(rank(entries)) == [
        ("Волков", 1),
        ("Антонов", 2),
        ("Борисов", 2),
        ("Дмитриев", 4),
    ]


def test_what_reads_the_same_on_screen_is_a_tie():
    entries = [Entry(1, "Б", D("1.0449")), Entry(2, "А", D("1.0351"))]
    assert places(rank(entries)) == [("А", 1), ("Б", 1)]
    assert places(rank(entries, quantum=None)) == [("Б", 1), ("А", 2)]


def test_no_plan_comes_last_without_a_place():
    entries = [
        Entry(1, "Без плана", None),
        Entry(2, "Отстающий", D("0.1")),
        Entry(3, "Ещё без плана", None),
    ]
    ranking = rank(entries)
    assert places(ranking) == [("Отстающий", 1), ("Без плана", None), ("Ещё без плана", None)]
    assert ranked_count(ranking) == 1


def test_yo_sorts_with_ye():
    entries = [Entry(1, "Ершов", D(1)), Entry(2, "Ёлкин", D(1)), Entry(3, "Жуков", D(1))]
    assert [r.entry.name for r in rank(entries)] == ["Ёлкин", "Ершов", "Жуков"]


def test_most_improved_counts_points_of_plan_and_only_rises():
    entries = [
        Entry(1, "Рывок", D("0.85"), previous=D("0.60")),
        Entry(2, "Лидер", D("1.30"), previous=D("1.25")),
        Entry(3, "Спад", D("0.70"), previous=D("0.90")),
        Entry(4, "Ровно", D("1.00"), previous=D("1.00")),
        Entry(5, "Новичок", D("0.50"), previous=None),
        Entry(6, "Без плана", None, previous=D("0.5")),
    ]
    improved = most_improved(entries, top=5)
    assert [(i.entry.name, i.points) for i in improved] == [
        ("Рывок", D("25.00")),
        ("Лидер", D("5.00")),
    ]
    assert change_points(entries[2]) == D("-20.00")
    assert [i.entry.name for i in most_improved(entries, top=1)] == ["Рывок"]
    assert most_improved(entries, top=0) == []


completions = st.one_of(st.none(), st.decimals(min_value=0, max_value=5, places=3, allow_nan=False))
entries_strategy = st.lists(
    st.tuples(st.sampled_from(["Анна", "Борис", "ёж", "Ёлка", "Ян", "ян"]), completions),
    max_size=12,
).map(lambda rows: [Entry(i, name, c) for i, (name, c) in enumerate(rows)])


@given(entries_strategy, st.randoms(use_true_random=False), st.booleans())
def test_ranks_do_not_depend_on_the_input_order(entries, random, exact):
    quantum = None if exact else D("0.01")
    first = rank(entries, quantum)
    shuffled = list(entries)
    random.shuffle(shuffled)
    second = rank(shuffled, quantum)
    assert {r.entry.key: r.rank for r in first} == {r.entry.key: r.rank for r in second}
    # The visible order (name, completion, place) is the same too.
    assert [(r.entry.name, r.entry.completion, r.rank) for r in first] == [
        (r.entry.name, r.entry.completion, r.rank) for r in second
    ]


@given(entries_strategy)
def test_ranks_follow_completion_and_ties_skip(entries):
    ranking = rank(entries, quantum=None)
    assert sorted(r.entry.key for r in ranking) == sorted(e.key for e in entries)
    placed = [r for r in ranking if r.rank is not None]
    unplaced = [r for r in ranking if r.rank is None]
    # Everyone with a plan first, everyone without after, nobody without a plan placed.
    assert ranking == placed + unplaced
    assert all(r.entry.completion is None for r in unplaced)
    assert all(r.entry.completion is not None for r in placed)
    for i, r in enumerate(placed):
        # Competition ranking: one plus the number of sellers strictly ahead.
        ahead = sum(1 for o in placed if o.entry.completion > r.entry.completion)
        assert r.rank == ahead + 1
        if i:
            assert placed[i - 1].entry.completion >= r.entry.completion
            assert placed[i - 1].rank <= r.rank
    assert ranked_count(ranking) == len(placed)


@given(
    st.lists(st.tuples(completions, completions), max_size=12),
    st.integers(min_value=0, max_value=5),
)
def test_most_improved_is_the_top_of_the_rises(pairs, top):
    entries = [Entry(i, f"n{i}", now, previous=before) for i, (now, before) in enumerate(pairs)]
    improved = most_improved(entries, top)
    rises = sorted(
        ((now - before) * 100 for now, before in pairs if now is not None and before is not None),
        reverse=True,
    )
    positive = [r for r in rises if r > 0]
    assert [i.points for i in improved] == positive[:top]
