"""Tests of the eDRV and Thor simulator."""
