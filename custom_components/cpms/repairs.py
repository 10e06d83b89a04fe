"""Repair flows: the fixes a user can make inside Home Assistant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
import probatio

from .api import EdrvWebhookDecoder, Provider, WebhookError, WebhookSignatureError
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_EXCLUDED_STATIONS,
    CONF_PROVIDER,
    CONF_STATIONS,
    CONF_WEBHOOK_SECRET,
    EDRV_WEBHOOK_EVENTS,
    ISSUE_NEW_STATIONS,
    ISSUE_WEBHOOK_SECRET,
    ISSUE_WEBHOOKS_NOT_ARRIVING,
    THOR_WEBHOOK_SECTIONS,
)
from .coordinator import CpmsConfigEntry, RefusedDelivery
from .data import Refusal
from .selection import station_selector
from .webhook import async_webhook_url


class _EntryFlow(RepairsFlow):
    """The fix of an issue of one account."""

    def __init__(self, entry: CpmsConfigEntry) -> None:
        """Fix the issue of this entry."""
        self._entry = entry


class _SecretFlow(_EntryFlow):
    """A fix that can ask for the eDRV signing secret.

    A secret is taken only if it verifies the last refused delivery, as of when it arrived, so
    a typo is caught here rather than by the next refusal. Without a refused delivery to check
    (after a reload), it is taken as it is. The account reloads with it.
    """

    async def async_step_secret(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask for the secret; the account reloads with it."""
        entry = self._entry
        coordinator = entry.runtime_data
        errors: dict[str, str] = {}
        if user_input is not None:
            # Cleared, the field is left out: the endpoint does not sign, nothing is checked.
            secret = user_input.get(CONF_WEBHOOK_SECRET, "").strip()
            refused = coordinator.refused_signature
            if refused is None or _verifies(secret, refused):
                self.hass.config_entries.async_update_entry(
                    entry, options={**entry.options, CONF_WEBHOOK_SECRET: secret}
                )
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data={})
            errors[CONF_WEBHOOK_SECRET] = "secret_mismatch"
        return self.async_show_form(
            step_id="secret",
            data_schema=probatio.Schema(
                {
                    probatio.Optional(CONF_WEBHOOK_SECRET): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
            errors=errors,
            description_placeholders={
                "title": entry.title,
                "url": coordinator.webhook_url or "-",
                "count": str(coordinator.deliveries.refused_in_a_row),
            },
        )


class WebhookSecretRepairFlow(_SecretFlow):
    """eDRV deliveries fail their signature: enter the endpoint's signing secret."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Straight to the form."""
        return await self.async_step_secret()


class WebhookRepairFlow(_SecretFlow):
    """Webhooks do not arrive: show the URL and the dashboard steps again, for this provider.

    The URL is worked out anew, so a Home Assistant Cloud subscription or an external URL set
    since the setup is taken up. Once the user has set it up again, the integration reads the
    cloud often until the next webhook proves that push works, as after a new setup.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Why deliveries were refused, if they were; else the provider's webhook step.

        Deliveries refused for their signature need the right secret: the form asks for it.
        """
        deliveries = self._entry.runtime_data.deliveries
        if deliveries.refused_in_a_row and deliveries.last_refusal is Refusal.SIGNATURE:
            return await self.async_step_secret()
        if deliveries.refused_in_a_row and deliveries.last_refusal is not None:
            return await self._async_webhook(f"refused_{deliveries.last_refusal}", None)
        if Provider(self._entry.data[CONF_PROVIDER]) is Provider.EDRV:
            return await self.async_step_webhook_edrv()
        return await self.async_step_webhook_thor()

    async def async_step_refused_unknown_station(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Deliveries arrive, about another account's stations."""
        return await self._async_webhook("refused_unknown_station", user_input)

    async def async_step_refused_malformed(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Deliveries arrive that cannot be read."""
        return await self._async_webhook("refused_malformed", user_input)

    async def async_step_webhook_edrv(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Where eDRV delivers, and the events to subscribe to."""
        return await self._async_webhook("webhook_edrv", user_input)

    async def async_step_webhook_thor(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Where Thor notifies, and the sections to fill in."""
        return await self._async_webhook("webhook_thor", user_input)

    async def _async_webhook(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> RepairsFlowResult:
        entry = self._entry
        target = await async_webhook_url(self.hass, entry.data[CONF_WEBHOOK_ID])
        if user_input is not None:
            data = {**entry.data}
            data.pop(CONF_CLOUDHOOK_URL, None)
            if target.cloudhook:
                data[CONF_CLOUDHOOK_URL] = target.url
            self.hass.config_entries.async_update_entry(entry, data=data)
            entry.runtime_data.async_expect_webhooks(target.url)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id=step_id,
            description_placeholders={
                "title": entry.title,
                "url": target.url,
                "events": EDRV_WEBHOOK_EVENTS,
                "sections": THOR_WEBHOOK_SECTIONS,
                "count": str(entry.runtime_data.deliveries.refused_in_a_row),
            },
            # A warning, as in the setup: a cloud on the same network could still deliver.
            errors=None if target.reachable else {"base": "webhook_unreachable"},
        )


class NewStationsRepairFlow(_EntryFlow):
    """Stations joined the account after the user chose: add the ones the user picks now."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Straight to the choice."""
        return await self.async_step_stations()

    async def async_step_stations(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """All new stations are picked at first; the ones left out are not offered again."""
        coordinator = self._entry.runtime_data
        offered = coordinator.offered_stations
        if user_input is not None:
            picked = set(user_input.get(CONF_STATIONS, ()))
            selection = coordinator.selection
            declined = {station.id for station in offered} - picked
            self.hass.config_entries.async_update_entry(
                self._entry,
                options={
                    **self._entry.options,
                    CONF_STATIONS: sorted((selection.chosen or set()) | picked),
                    CONF_EXCLUDED_STATIONS: sorted(selection.excluded | declined),
                },
            )
            self.hass.config_entries.async_schedule_reload(self._entry.entry_id)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="stations",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema({probatio.Optional(CONF_STATIONS): station_selector(offered)}),
                {CONF_STATIONS: [station.id for station in offered]},
            ),
            description_placeholders={"title": self._entry.title, "count": str(len(offered))},
        )


def _verifies(secret: str, refused: RefusedDelivery) -> bool:
    """Whether the secret signs the refused delivery, judged at the time it arrived."""
    decoder = EdrvWebhookDecoder(secret, clock=lambda: refused.received)
    try:
        decoder.decode(refused.body, refused.headers)
    except WebhookSignatureError:
        return False
    except WebhookError:
        return True  # signed right, whatever else is wrong with it
    return True


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix of one of the entry's issues; the issue's data names the entry."""
    entry_id = str((data or {}).get("entry_id"))
    entry: CpmsConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return _EntryNotLoadedFlow()
    # Issue ids are the issue's translation key and the entry id.
    return _FIXES[issue_id.removesuffix(f"_{entry_id}")](entry)


class _EntryNotLoadedFlow(RepairsFlow):
    """The account is not running, so the fix cannot read what it needs."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Say so and leave the issue."""
        return self.async_abort(reason="entry_not_loaded")


_FIXES: dict[str, Callable[[CpmsConfigEntry], RepairsFlow]] = {
    ISSUE_NEW_STATIONS: NewStationsRepairFlow,
    ISSUE_WEBHOOKS_NOT_ARRIVING: WebhookRepairFlow,
    ISSUE_WEBHOOK_SECRET: WebhookSecretRepairFlow,
}
