"""The capacity arithmetic: flows phones need, where a refused tail begins, admitted flows."""

from __future__ import annotations

import pytest

from flexdiag.analysis import capacity
from flexdiag.records import Flow


@pytest.mark.parametrize(("phones", "flows"), [(0, 2), (1, 5), (8, 26), (32, 98)])
def test_flows_needed(phones: int, flows: int) -> None:
    assert capacity.flows_needed(phones) == flows


@pytest.mark.parametrize(("answered", "first"), [
    ((True,) * 4, None), ((False,) * 4, None),
    ((True, True, False, False, False, False), 2),
    # 4 of 5 after the first loss unanswered: exactly the 80 % share, still a tail.
    ((True, False, False, True, False, False), 1),
    ((True, False, True, True, False, False), None),  # 3 of 5: scattered
])
def test_refused_tail(answered: tuple[bool, ...], first: int | None) -> None:
    assert capacity.refused_tail(answered) == first


def test_admitted_flows_count_the_answered_ones() -> None:
    flows = [Flow(("192.0.2.9", 1000 + i), ("198.51.100.10", 3478), i, i % 3 != 0)
             for i in range(7)]
    assert capacity.admitted_flows(flows) == 4
    assert capacity.admitted_flows([]) == 0


@pytest.mark.parametrize(("flows", "phones"), [(0, 1), (2, 1), (3, 1), (6, 2), (20, 6), (26, 8)])
def test_phones_a_table_carries(flows: int, phones: int) -> None:
    assert capacity.phones_carried(flows) == phones
