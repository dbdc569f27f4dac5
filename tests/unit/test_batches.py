"""Batch plans and failure budgets of run_in_batches (pure logic)."""

from __future__ import annotations

import pytest

from pssh._batches import budget_spent, parse_budget, plan_batches


@pytest.mark.parametrize(
    ("total", "batches", "ends"),
    [
        (20, (1, "10%", "100%"), [1, 2, 20]),
        (100, (1, "10%", "100%"), [1, 10, 100]),
        (5, (1, "10%", "100%"), [1, 5]),  # 10% of 5 is 1: no new host, skipped
        (5, ("20%", "60%"), [1, 3, 5]),  # hosts past the last target: one more batch
        (3, (10,), [3]),
        (10, (2, 2, 5), [2, 5, 10]),
        (7, ("33.4%",), [3, 7]),  # rounded up
        (1, (1, "10%", "100%"), [1]),
        (0, (1,), []),
        (4, ("3",), [3, 4]),
    ],
)
def test_plan(total, batches, ends) -> None:
    assert plan_batches(total, batches) == ends


@pytest.mark.parametrize("bad", [(), (0,), ("0%",), ("101%",), ("x",), (True,), (1.5,), (-1,)])
def test_plan_errors(bad) -> None:
    with pytest.raises(ValueError):
        plan_batches(10, bad)


def test_budget() -> None:
    assert parse_budget(0) == (0, None) and parse_budget("25%") == (None, 25.0)
    assert not budget_spent(0, 1, 0) and budget_spent(1, 1, 0)
    assert not budget_spent(2, 10, 2) and budget_spent(3, 10, 2)
    assert not budget_spent(1, 10, "10%") and budget_spent(2, 10, "10%")
    assert budget_spent(1, 1, "0%")
    for bad in (-1, "-1", "x", "150%", None, True):
        with pytest.raises(ValueError):
            parse_budget(bad)
