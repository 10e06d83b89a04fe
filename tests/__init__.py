"""Tests of the cpms integration, its provider layer and the simulator."""
