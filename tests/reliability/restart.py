"""Restart Home Assistant's side of an account: unload it, and set it up again from storage."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState

from ..integration.conftest import Account


async def stop_home_assistant(account: Account) -> None:
    """Unload the account, as a shutdown does; its webhook stops answering."""
    assert await account.hass.config_entries.async_unload(account.entry.entry_id)
    await account.hass.async_block_till_done()
    # While Home Assistant is down the cloud cannot deliver: it keeps its webhooks.
    account.sim.faults.webhook_hold = True


async def start_home_assistant(account: Account) -> None:
    """Set the account up again from what it stored; the cloud then delivers its backlog."""
    assert await account.hass.config_entries.async_setup(account.entry.entry_id)
    await account.hass.async_block_till_done()
    assert account.entry.state is ConfigEntryState.LOADED
    account.sim.faults.webhook_hold = False
    await account.run(0)
