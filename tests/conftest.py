"""Shared fixtures.

The test harness ships a `custom_components` package of its own; importing ours first makes
Home Assistant's loader find `cpms` in this repository.
"""

import pytest

import custom_components.cpms  # noqa: F401


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load integrations from custom_components."""
