from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.facts import AUTO, TYPED, Cell, imported, typed, withdrawn

figures = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False)
events = st.none() | figures
cells = st.none() | st.builds(
    Cell,
    value=figures,
    auto_value=st.none() | figures,
    source=st.sampled_from([TYPED, AUTO, "seed"]),
)


@given(cells, events)
def test_a_typed_figure_survives_any_import(stored, new):
    after = imported(stored, new)
    if stored is not None and stored.source == TYPED:
        assert after is not None
        assert (after.value, after.source) == (stored.value, TYPED)


@given(cells, events)
def test_an_import_is_idempotent(stored, new):
    once = imported(stored, new)
    assert imported(once, new) == once


@given(cells, events, events)
def test_only_the_last_import_counts(stored, first, second):
    if stored is None or stored.source != TYPED:
        # For the machines' cells what events said before leaves no trace.
        assert imported(imported(stored, first), second) == imported(None, second)


@given(cells, figures)
def test_events_make_the_figure_unless_the_seller_typed_one(stored, new):
    after = imported(stored, new)
    assert after is not None and after.auto_value == new
    if stored is None or stored.source != TYPED:
        assert after == Cell(new, new, AUTO)


@given(cells)
def test_no_events_leave_no_cell_unless_a_correction_stands(stored):
    after = imported(stored, None)
    if stored is None or stored.source != TYPED:
        assert after is None
    elif stored.auto_value is None:
        # Nothing was ever recorded beside the correction: nothing is invented.
        assert after == stored
    else:
        # Its events vanished: the head sees the correction against 0.
        assert after == Cell(stored.value, Decimal(0), TYPED)


@given(cells, figures)
def test_typing_keeps_what_events_say_beside_it(stored, value):
    after = typed(stored, value)
    assert (after.value, after.source) == (value, TYPED)
    assert after.auto_value == (None if stored is None else stored.auto_value)


@given(cells, events, figures)
def test_withdrawing_a_correction_is_as_if_the_seller_never_typed(stored, new, value):
    if stored is not None and stored.source == TYPED:
        stored = None
    before = imported(stored, new)
    corrected = imported(typed(before, value), new)
    assert withdrawn(corrected) == before


@given(cells)
def test_withdrawing_leaves_the_machines_cells_alone(stored):
    if stored is None or stored.source != TYPED:
        assert withdrawn(stored) == stored
    else:
        after = withdrawn(stored)
        assert after is None or after == Cell(stored.auto_value, stored.auto_value, AUTO)
