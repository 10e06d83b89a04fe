"""Tests that drive the cpms integration through Home Assistant against the simulator."""
