"""Webhook delivery: one FIFO queue per provider, drained by a background task."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING

import aiohttp

from .errors import SimulatorError

if TYPE_CHECKING:
    from .counters import Counters
    from .faults import Faults
    from .signing import Signer

_LOGGER = logging.getLogger(__name__)

RETRIES = 2
BACKOFF_S = 0.1
TIMEOUT = aiohttp.ClientTimeout(total=5)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook: a label for logs and the exact bytes to POST."""

    label: str
    body: bytes


class WebhookQueue:
    """Deliver one provider's webhooks in order, applying the webhook faults."""

    def __init__(
        self,
        provider: str,
        *,
        url: str | None,
        faults: Faults,
        counters: Counters,
        signer: Signer | None = None,
    ) -> None:
        """Prepare an idle queue; `start` begins delivering."""
        self.provider = provider
        self.url = url
        self._faults = faults
        self._counters = counters
        self._signer = signer
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._held: list[Delivery] = []
        self._task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def queued(self) -> int:
        """Number of webhooks waiting, held ones included."""
        return self._queue.qsize() + len(self._held)

    def put(self, label: str, body: bytes) -> None:
        """Queue a webhook, unless the drop fault swallows it or the hold fault keeps it back."""
        if self._faults.webhook_drop > 0:
            self._faults.webhook_drop -= 1
            self._counters.count_webhook(self.provider, "dropped")
            _LOGGER.info("%s webhook %s dropped (fault)", self.provider, label)
            return
        self._held.append(Delivery(label, body))
        self._release()

    def _release(self) -> None:
        """Queue the held webhooks, in order, once the hold fault is off."""
        if self._faults.webhook_hold:
            return
        for delivery in self._held:
            self._queue.put_nowait(delivery)
        self._held.clear()

    def start(self, http: aiohttp.ClientSession) -> None:
        """Start the delivery task."""
        self._http = http
        self._task = asyncio.create_task(self._run(), name=f"simulator {self.provider} webhooks")

    async def stop(self) -> None:
        """Stop the delivery task; undelivered webhooks are abandoned."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def flush(self) -> None:
        """Wait until every queued webhook has been delivered or given up on."""
        if self._task is None:
            raise SimulatorError("webhook delivery runs only while the simulator is started")
        self._release()
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if self._faults.webhook_reorder and not self._queue.empty():
                batch.insert(0, self._queue.get_nowait())
            for delivery in batch:
                try:
                    await self._deliver(delivery)
                finally:
                    self._queue.task_done()

    async def _deliver(self, delivery: Delivery) -> None:
        if self._faults.webhook_delay_s > 0:
            await asyncio.sleep(self._faults.webhook_delay_s)
        for _ in range(2 if self._faults.webhook_duplicate else 1):
            await self._send(delivery)

    async def _send(self, delivery: Delivery) -> None:
        url = self.url
        if url is None or self._http is None:
            self._counters.count_webhook(self.provider, "skipped")
            _LOGGER.debug("%s webhook %s skipped: no URL", self.provider, delivery.label)
            return
        reason = ""
        for attempt in range(RETRIES + 1):
            if attempt:
                await asyncio.sleep(BACKOFF_S * attempt)
            # Signed per attempt: the signature's timestamp is the time of sending.
            headers = {"Content-Type": "application/json"}
            if self._signer is not None:
                headers |= self._signer(delivery.body)
            try:
                async with self._http.post(
                    url, data=delivery.body, headers=headers, timeout=TIMEOUT
                ) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as err:
                reason = str(err) or type(err).__name__
            else:
                if 200 <= status < 300:
                    self._counters.count_webhook(self.provider, "sent")
                    _LOGGER.info("%s webhook %s -> %d", self.provider, delivery.label, status)
                    return
                reason = f"HTTP {status}"
            _LOGGER.debug(
                "%s webhook %s attempt %d: %s", self.provider, delivery.label, attempt + 1, reason
            )
        self._counters.count_webhook(self.provider, "failed")
        _LOGGER.warning(
            "%s webhook %s failed after %d attempts: %s",
            self.provider,
            delivery.label,
            RETRIES + 1,
            reason,
        )
