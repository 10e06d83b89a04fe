"""The meter register's rules, reading by reading."""

from __future__ import annotations

import pytest

from custom_components.cpms.meter import MeterRegister


@pytest.mark.parametrize(
    ("readings", "shown"),
    [
        ([1000, 1001, 1001.5], [1000, 1001, 1001.5]),
        ([1000, 1000], [1000, 1000]),  # the same reading changes nothing
        ([1000, 950, 1002], [1000, 1000, 1002]),  # a late, lower delivery is ignored
        ([1000, -5, 1001], [1000, 1000, 1001]),  # a negative reading is never a meter
        ([1000, 0, 1003], [1000, 1000, 1003]),  # one stray low reading is ignored
        ([1000, 3, 2, 4], [1000, 1000, 1000, 4]),  # a new meter needs agreeing readings
        ([1000, 3, 3.5, 4], [1000, 1000, 3.5, 4]),  # a new meter, followed from then on
    ],
)
def test_readings(readings: list[float], shown: list[float]) -> None:
    register = MeterRegister()
    seen = []
    for reading in readings:
        register.update(reading)
        seen.append(register.wh)
    assert seen == shown


def test_changed_only_when_the_shown_value_moves() -> None:
    register = MeterRegister(wh=500.0)
    assert register.update(500.0) is False
    assert register.update(501.0) is True
    assert register.update(10.0) is False
    assert register.update(11.0) is True
