"""Deterministic identifiers drawn from the run's seed."""

from __future__ import annotations

import random


class IdFactory:
    """One seeded stream of ids; equal seeds and call orders give equal ids."""

    def __init__(self, seed: int, stream: str) -> None:
        """Seed a stream; distinct streams keep the world's ids independent of traffic."""
        # Determinism is the point here, not unpredictability.
        self._rng = random.Random(f"{seed}:{stream}")  # noqa: S311

    def object_id(self) -> str:
        """Return a 24-hex-digit MongoDB-style ObjectId, as eDRV uses."""
        return self.hex(24)

    def hex(self, digits: int) -> str:
        """Return `digits` random lowercase hex digits."""
        return f"{self._rng.getrandbits(4 * digits):0{digits}x}"

    def number(self, low: int, high: int) -> int:
        """Return an integer in [low, high]."""
        return self._rng.randint(low, high)
