"""Tests of the provider layer (custom_components/cpms/api)."""
