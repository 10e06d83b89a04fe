"""Counts of API requests and webhook deliveries, for tests that check traffic."""

from __future__ import annotations

from collections import Counter


class Counters:
    """API requests keyed "<provider> <METHOD> <route template>", webhooks "<provider> <outcome>".

    Webhook outcomes: "sent" (a 2xx answer; a duplicate counts twice), "failed" (no 2xx after the
    retries), "dropped" (the drop fault) and "skipped" (no URL set).
    """

    def __init__(self) -> None:
        """Start from zero."""
        self._requests: Counter[str] = Counter()
        self._webhooks: Counter[str] = Counter()

    @property
    def requests(self) -> dict[str, int]:
        """Return a copy of the API request counts."""
        return dict(self._requests)

    @property
    def webhooks(self) -> dict[str, int]:
        """Return a copy of the webhook counts."""
        return dict(self._webhooks)

    def count_request(self, key: str) -> None:
        """Count one API request."""
        self._requests[key] += 1

    def count_webhook(self, provider: str, outcome: str) -> None:
        """Count one webhook outcome."""
        self._webhooks[f"{provider} {outcome}"] += 1

    def reset(self) -> None:
        """Forget every count."""
        self._requests.clear()
        self._webhooks.clear()
