"""The config, reauth, reconfigure and options flows, against the simulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType, UnknownFlow
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, start_reauth_flow

from custom_components.cpms.const import (
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_CLOUDHOOK_URL,
    CONF_COMMAND_URL,
    CONF_PROVIDER,
    CONF_REMOVE_WEBHOOK_SECRET,
    CONF_SAFETY_REFRESH,
    CONF_USER_ID,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    EDRV_WEBHOOK_EVENTS,
    THOR_WEBHOOK_SECTIONS,
)
from simulator import Simulator, SimulatorConfig

from .conftest import SECRET, SetupAccount

NAMES = {"edrv": "eDRV", "thor": "Thor"}
CLOUDHOOK_URL = "https://hooks.nabu.casa/abc"
CLOSED_PORT_URL = "http://127.0.0.1:9/"

type MakeSimulator = Callable[[int], Awaitable[Simulator]]


@pytest.fixture
async def make_simulator(socket_enabled: None) -> AsyncIterator[MakeSimulator]:
    """More clouds: the same seed is the same account at another address, another seed another."""
    started: list[Simulator] = []

    async def make(seed: int) -> Simulator:
        sim = Simulator(SimulatorConfig(seed=seed, edrv_webhook_secret=SECRET))
        await sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


def base_url(sim: Simulator, provider: str) -> str:
    return sim.edrv_base_url if provider == "edrv" else sim.thor_base_url


def api_key(sim: Simulator, provider: str) -> str:
    return sim.edrv_api_key if provider == "edrv" else sim.thor_api_key


def credentials(
    sim: Simulator, provider: str, *, key: str | None = None, url: str | None = None
) -> dict[str, Any]:
    """What the user types on the credentials form, right unless told otherwise."""
    return {
        CONF_API_KEY: api_key(sim, provider) if key is None else key,
        CONF_ADVANCED: {CONF_BASE_URL: base_url(sim, provider) if url is None else url},
    }


def account_unique_id(sim: Simulator, provider: str) -> str:
    return f"{provider}_{min(sim.station_ids(provider))}"


def default_title(sim: Simulator, provider: str) -> str:
    """The provider and the account's first two stations, by name."""
    stations = sorted(
        station.name for station in sim.world.stations if station.provider.value == provider
    )
    names = ", ".join(stations[:2])
    return f"{NAMES[provider]} · {names}" + (", …" if len(stations) > 2 else "")


def schema(result: ConfigFlowResult) -> dict[Any, Any]:
    """The form's schema: markers (defaults, suggested values) to selectors or sections."""
    data_schema = result["data_schema"]
    assert data_schema is not None
    return dict(data_schema.schema)


def fields(result: ConfigFlowResult) -> dict[str, Any]:
    """The form's markers by field name."""
    return {str(marker.schema): marker for marker in schema(result)}


def placeholders(result: ConfigFlowResult) -> Mapping[str, str]:
    values = result["description_placeholders"]
    assert values is not None
    return values


async def configure(
    hass: HomeAssistant, result: ConfigFlowResult, user_input: dict[str, Any]
) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def start_flow(hass: HomeAssistant, provider: str) -> ConfigFlowResult:
    """Open the flow and pick the provider: the credentials form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await configure(hass, result, {CONF_PROVIDER: provider})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"provider": NAMES[provider]}
    return result


async def webhook_form(hass: HomeAssistant, sim: Simulator, provider: str) -> ConfigFlowResult:
    """Go through the flow up to the webhook step, with the first eDRV user and SECRET."""
    result = await configure(hass, await start_flow(hass, provider), credentials(sim, provider))
    if provider == "edrv":
        result = await configure(
            hass, result, {CONF_USER_ID: sim.edrv_user_ids[0], CONF_WEBHOOK_SECRET: SECRET}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"webhook_{provider}"
    assert result["last_step"] is True
    return result


async def finish(hass: HomeAssistant, result: ConfigFlowResult) -> ConfigEntry:
    """Submit the webhook step; the entry is created and set up."""
    result = await configure(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def set_external_url(hass: HomeAssistant) -> None:
    await async_process_ha_core_config(hass, {"external_url": "https://example.com"})


# Adding an account


@pytest.mark.parametrize(
    ("secret", "stored_secret"), [(f"  {SECRET} ", SECRET), (None, "")], ids=["secret", "no_secret"]
)
async def test_edrv(
    hass: HomeAssistant, simulator: Simulator, secret: str | None, stored_secret: str
) -> None:
    """Key, user and secret are checked and kept; the webhook URL is shown to paste."""
    await set_external_url(hass)
    result = await start_flow(hass, "edrv")

    # Typed with stray spaces and a trailing slash.
    result = await configure(
        hass,
        result,
        credentials(
            simulator,
            "edrv",
            key=f" {simulator.edrv_api_key} ",
            url=f"{simulator.edrv_base_url}/",
        ),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "edrv_user"
    user_field = fields(result)[CONF_USER_ID]
    assert user_field.default() == simulator.edrv_user_ids[0]
    assert schema(result)[user_field].config["options"] == [
        {
            "value": simulator.edrv_user_ids[0],
            "label": "Home Assistant (home.assistant@example.com)",
        },
        {"value": simulator.edrv_user_ids[1], "label": "Zoë Janssen (zoë.janssen@example.com)"},
    ]

    user_input = {CONF_USER_ID: simulator.edrv_user_ids[1]}
    if secret is not None:
        user_input[CONF_WEBHOOK_SECRET] = secret
    result = await configure(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook_edrv"
    assert result["errors"] is None
    shown = placeholders(result)
    assert shown["events"] == EDRV_WEBHOOK_EVENTS

    entry = await finish(hass, result)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert shown["url"] == f"https://example.com/api/webhook/{webhook_id}"
    assert entry.title == default_title(simulator, "edrv")
    assert entry.unique_id == account_unique_id(simulator, "edrv")
    assert entry.data == {
        CONF_PROVIDER: "edrv",
        CONF_API_KEY: simulator.edrv_api_key,
        CONF_BASE_URL: simulator.edrv_base_url,
        CONF_WEBHOOK_ID: webhook_id,
    }
    assert entry.options == {
        CONF_USER_ID: simulator.edrv_user_ids[1],
        CONF_WEBHOOK_SECRET: stored_secret,
        CONF_SAFETY_REFRESH: 15,
    }


async def test_thor(hass: HomeAssistant, simulator: Simulator) -> None:
    """Thor has no users: from the key straight to the notification URL."""
    await set_external_url(hass)
    result = await configure(hass, await start_flow(hass, "thor"), credentials(simulator, "thor"))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook_thor"
    assert result["errors"] is None
    shown = placeholders(result)
    assert shown["sections"] == THOR_WEBHOOK_SECTIONS

    entry = await finish(hass, result)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert shown["url"] == f"https://example.com/api/webhook/{webhook_id}"
    assert entry.title == default_title(simulator, "thor")
    assert entry.unique_id == account_unique_id(simulator, "thor")
    assert entry.data == {
        CONF_PROVIDER: "thor",
        CONF_API_KEY: simulator.thor_api_key,
        CONF_BASE_URL: simulator.thor_base_url,
        # Another read address, the documented command address left as it was: both in one.
        CONF_COMMAND_URL: simulator.thor_base_url,
        CONF_WEBHOOK_ID: webhook_id,
    }
    assert entry.options == {CONF_SAFETY_REFRESH: 15}


def wrong_key(sim: Simulator) -> dict[str, Any]:
    return {"key": "not-the-key"}


def closed_port(sim: Simulator) -> dict[str, Any]:
    return {"url": CLOSED_PORT_URL}  # reads are retried with back-off: about 3 s


def rate_limited(sim: Simulator) -> dict[str, Any]:
    # A Retry-After beyond the client's patience fails at once, without retries.
    sim.faults.update({"rate_limit_next": 1, "retry_after_s": 3600})
    return {}


def refuse(answer: str) -> Callable[[Simulator], dict[str, Any]]:
    def arrange(sim: Simulator) -> dict[str, Any]:
        sim.faults.update({"refuse_requests": answer})
        return {}

    return arrange


def no_api_there(sim: Simulator) -> dict[str, Any]:
    return {"url": f"{sim.url}/_sim/state"}  # 404 for every API path


def other_json_there(sim: Simulator) -> dict[str, Any]:
    # The query swallows the API path: the simulator's state dump answers, 200 and no API shape.
    return {"url": f"{sim.url}/_sim/state?"}


def no_stations(sim: Simulator) -> dict[str, Any]:
    # SimulatorConfig refuses stations=0, so the account loses its stations after the start.
    sim.world.stations.clear()
    return {}


@pytest.mark.parametrize(
    ("provider", "arrange", "error"),
    [
        ("edrv", wrong_key, "invalid_auth"),
        ("thor", wrong_key, "invalid_auth"),
        ("edrv", closed_port, "cannot_connect"),
        ("edrv", rate_limited, "cannot_connect"),
        ("thor", refuse("403 RestAPINotEnabled"), "rest_api_disabled"),
        ("thor", refuse("403 InvalidSourceIPAddr"), "ip_not_allowed"),
        ("edrv", no_api_there, "not_provider_api"),
        ("thor", other_json_there, "not_provider_api"),
        ("edrv", refuse("400 Bad request"), "unknown"),
        ("edrv", no_stations, "no_stations"),
        ("thor", no_stations, "no_stations"),
    ],
    ids=[
        "edrv-invalid_auth",
        "thor-invalid_auth",
        "edrv-cannot_connect-closed_port",
        "edrv-cannot_connect-rate_limited",
        "thor-rest_api_disabled",
        "thor-ip_not_allowed",
        "edrv-not_provider_api-404",
        "thor-not_provider_api-not_an_api_answer",
        "edrv-unknown",
        "edrv-no_stations",
        "thor-no_stations",
    ],
)
async def test_credentials_error_then_recovery(
    hass: HomeAssistant,
    simulator: Simulator,
    provider: str,
    arrange: Callable[[Simulator], dict[str, Any]],
    error: str,
) -> None:
    """The form comes back with the error; once the cause is gone, the same flow goes on."""
    stations = list(simulator.world.stations)
    result = await start_flow(hass, provider)

    typed = credentials(simulator, provider, **arrange(simulator))
    result = await configure(hass, result, typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"] == {"provider": NAMES[provider]}
    # What was typed stays, and in view: the Advanced section with the URL is open.
    advanced = schema(result)[fields(result)[CONF_ADVANCED]]
    assert advanced.options == {"collapsed": False}
    url_field = next(field for field in advanced.schema.schema if field == CONF_BASE_URL)
    assert url_field.description == {"suggested_value": typed[CONF_ADVANCED][CONF_BASE_URL]}

    # The cause goes away: faults off, stations back, the right key and address.
    simulator.faults.update({"refuse_requests": None, "rate_limit_next": 0})
    simulator.world.stations[:] = stations
    result = await configure(hass, result, credentials(simulator, provider))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == ("edrv_user" if provider == "edrv" else "webhook_thor")


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_already_configured(
    hass: HomeAssistant, setup_account: SetupAccount, provider: str
) -> None:
    """The same account, even typed differently, is refused before anything is asked."""
    account = await setup_account(provider)
    sim = account.sim
    result = await start_flow(hass, provider)
    result = await configure(
        hass, result, credentials(sim, provider, url=f"{base_url(sim, provider)}/")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_edrv_without_users(hass: HomeAssistant, simulator: Simulator) -> None:
    """Sessions start on behalf of a user, so an eDRV account without one cannot be used."""
    # SimulatorConfig refuses users=(), so the account loses its users after the start.
    simulator.world.users.clear()
    result = await configure(hass, await start_flow(hass, "edrv"), credentials(simulator, "edrv"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_users"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_title_edited(hass: HomeAssistant, simulator: Simulator) -> None:
    """The webhook step offers the title, and the user may name the account otherwise."""
    result = await webhook_form(hass, simulator, "thor")
    name_field = fields(result)[CONF_NAME]
    assert name_field.default() == default_title(simulator, "thor")
    result = await configure(hass, result, {CONF_NAME: "  Office car park "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].title == "Office car park"


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_new_flow_takes_over(
    hass: HomeAssistant, simulator: Simulator, provider: str
) -> None:
    """A dialog closed at the webhook step does not lock the account: a new one goes on."""
    lost = await webhook_form(hass, simulator, provider)

    again = await webhook_form(hass, simulator, provider)
    progress = hass.config_entries.flow.async_progress()
    assert [flow["flow_id"] for flow in progress] == [again["flow_id"]]
    with pytest.raises(UnknownFlow):
        await configure(hass, lost, {})

    entry = await finish(hass, again)
    assert entry.unique_id == account_unique_id(simulator, provider)
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_old_flow_finished_after_new_entry(hass: HomeAssistant, simulator: Simulator) -> None:
    """A flow left at the webhook step cannot add the account a second time."""
    lost = await webhook_form(hass, simulator, "thor")
    # The account is added meanwhile, as by a restored backup.
    MockConfigEntry(
        domain=DOMAIN, unique_id=account_unique_id(simulator, "thor"), data={}
    ).add_to_hass(hass)
    result = await configure(hass, lost, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# The webhook step


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_webhook_without_url(
    hass: HomeAssistant, simulator: Simulator, provider: str
) -> None:
    """Without an external URL the cloud cannot deliver: a warning, but the user may go on."""
    result = await webhook_form(hass, simulator, provider)
    assert result["errors"] == {"base": "webhook_unreachable"}
    url = placeholders(result)["url"]

    entry = await finish(hass, result)
    # Only the internal URL is left, which a cloud on the internet cannot reach.
    api = hass.config.api
    assert api is not None
    assert url == f"http://{api.local_ip}:{api.port}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    assert CONF_CLOUDHOOK_URL not in entry.data


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_webhook_nabu_casa(hass: HomeAssistant, simulator: Simulator, provider: str) -> None:
    """With Home Assistant Cloud the cloudhook is shown and kept, even over an external URL."""
    await set_external_url(hass)
    hass.config.components.add("cloud")  # set up by default_config where there is a subscription
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_get_or_create_cloudhook",
            AsyncMock(return_value=CLOUDHOOK_URL),
        ) as create_cloudhook,
    ):
        result = await webhook_form(hass, simulator, provider)
        assert result["errors"] is None
        assert placeholders(result)["url"] == CLOUDHOOK_URL
        entry = await finish(hass, result)

    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    create_cloudhook.assert_awaited_with(hass, entry.data[CONF_WEBHOOK_ID])
    assert entry.runtime_data.webhook_url == CLOUDHOOK_URL


@pytest.mark.parametrize(
    ("cloudhook", "deleted"), [(True, 1), (False, 0)], ids=["cloudhook", "no_cloudhook"]
)
async def test_remove_deletes_cloudhook(
    hass: HomeAssistant, simulator: Simulator, cloudhook: bool, deleted: int
) -> None:
    """Removing the account deletes its cloudhook, and only a cloudhook."""
    await set_external_url(hass)
    hass.config.components.add("cloud")
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=cloudhook),
        patch(
            "homeassistant.components.cloud.async_get_or_create_cloudhook",
            AsyncMock(return_value=CLOUDHOOK_URL),
        ),
    ):
        entry = await finish(hass, await webhook_form(hass, simulator, "thor"))

    with patch(
        "homeassistant.components.cloud.async_delete_cloudhook", AsyncMock()
    ) as delete_cloudhook:
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()

    assert delete_cloudhook.await_count == deleted
    if deleted:
        delete_cloudhook.assert_awaited_with(hass, entry.data[CONF_WEBHOOK_ID])
    assert not hass.config_entries.async_entries(DOMAIN)


# Reauthentication


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_reauth(hass: HomeAssistant, setup_account: SetupAccount, provider: str) -> None:
    """A revoked key stops the entry and asks for a key; a working one brings it back."""
    account = await setup_account(provider)
    sim, entry = account.sim, account.entry
    right_key = api_key(sim, provider)

    sim.faults.key_revoked = True
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert len(flows) == 1
    assert flows[0]["step_id"] == "reauth_confirm"
    result: ConfigFlowResult = flows[0]

    # The old key is still revoked; then a wrong key, once keys work again.
    result = await configure(hass, result, {CONF_API_KEY: right_key})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth"}
    assert placeholders(result)["provider"] == NAMES[provider]
    sim.faults.key_revoked = False
    result = await configure(hass, result, {CONF_API_KEY: "not-the-key"})
    assert result["errors"] == {"base": "invalid_auth"}

    result = await configure(hass, result, {CONF_API_KEY: f" {right_key} "})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_API_KEY] == right_key
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_reauth_wrong_account(
    hass: HomeAssistant,
    setup_account: SetupAccount,
    make_simulator: MakeSimulator,
    provider: str,
) -> None:
    """A key that does not see the entry's stations belongs to another account."""
    account = await setup_account(provider)
    entry = account.entry
    other = await make_simulator(2)
    assert other.station_ids(provider) != account.sim.station_ids(provider)
    # The address now answers for another account, with the same key.
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_BASE_URL: base_url(other, provider)}
    )
    data = dict(entry.data)

    result = await start_reauth_flow(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {}
    assert placeholders(result)["provider"] == NAMES[provider]
    result = await configure(hass, result, {CONF_API_KEY: api_key(other, provider)})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "wrong_account"}
    assert entry.data == data


# Reconfiguration


async def start_reconfigure(hass: HomeAssistant, entry: ConfigEntry) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    return result


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_reconfigure(
    hass: HomeAssistant,
    setup_account: SetupAccount,
    make_simulator: MakeSimulator,
    provider: str,
) -> None:
    """The account's API moved: the new address is checked, kept, and used after a reload."""
    account = await setup_account(provider)
    entry = account.entry
    runtime_data = entry.runtime_data
    moved = await make_simulator(1)  # the same seed: the same account, at another address
    assert moved.station_ids(provider) == account.sim.station_ids(provider)

    result = await start_reconfigure(hass, entry)
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"provider": NAMES[provider]}
    advanced = schema(result)[fields(result)[CONF_ADVANCED]]
    url_field = next(field for field in advanced.schema.schema if field == CONF_BASE_URL)
    assert url_field.description == {"suggested_value": base_url(account.sim, provider)}

    result = await configure(
        hass, result, credentials(moved, provider, url=f"{base_url(moved, provider)}/")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_BASE_URL] == base_url(moved, provider)
    assert entry.data[CONF_WEBHOOK_ID] == account.webhook_path.rsplit("/", 1)[1]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not runtime_data

    # The old address is gone; the reloaded entry reads the account at the new one.
    await account.sim.stop()
    coordinator = entry.runtime_data
    await coordinator.async_refresh()
    assert coordinator.last_update_success


async def test_reconfigure_keeps_key(
    hass: HomeAssistant, setup_account: SetupAccount, make_simulator: MakeSimulator
) -> None:
    """Changing only the address needs no key: an empty key field keeps the current one."""
    account = await setup_account("edrv")
    entry = account.entry
    moved = await make_simulator(1)
    result = await start_reconfigure(hass, entry)
    key_field = fields(result)[CONF_API_KEY]
    assert isinstance(key_field, probatio.Optional)

    result = await configure(hass, result, {CONF_ADVANCED: {CONF_BASE_URL: moved.edrv_base_url}})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_API_KEY] == account.sim.edrv_api_key
    assert entry.data[CONF_BASE_URL] == moved.edrv_base_url
    assert entry.state is ConfigEntryState.LOADED


async def other_account(make_simulator: MakeSimulator) -> dict[str, Any]:
    return {"url": base_url(await make_simulator(2), "edrv")}


async def other_key(make_simulator: MakeSimulator) -> dict[str, Any]:
    return {"key": "not-the-key"}


@pytest.mark.parametrize(
    ("arrange", "error"),
    [(other_account, "wrong_account"), (other_key, "invalid_auth")],
    ids=["wrong_account", "invalid_auth"],
)
async def test_reconfigure_error_then_recovery(
    hass: HomeAssistant,
    setup_account: SetupAccount,
    make_simulator: MakeSimulator,
    arrange: Callable[[MakeSimulator], Awaitable[dict[str, Any]]],
    error: str,
) -> None:
    """Nothing changes on an error; the same flow succeeds once the input is right."""
    account = await setup_account("edrv")
    sim, entry = account.sim, account.entry
    data = dict(entry.data)

    result = await start_reconfigure(hass, entry)
    result = await configure(
        hass, result, credentials(sim, "edrv", **await arrange(make_simulator))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"] == {"provider": "eDRV"}
    assert entry.data == data

    result = await configure(hass, result, credentials(sim, "edrv"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data == data
    assert entry.state is ConfigEntryState.LOADED


# Options


async def test_options_edrv(hass: HomeAssistant, setup_account: SetupAccount) -> None:
    """Another user, another secret and refresh; the entry reloads with them."""
    account = await setup_account("edrv")
    sim, entry = account.sim, account.entry
    runtime_data = entry.runtime_data

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    form = fields(result)
    assert list(form) == [
        CONF_USER_ID,
        CONF_WEBHOOK_SECRET,
        CONF_REMOVE_WEBHOOK_SECRET,
        CONF_SAFETY_REFRESH,
    ]
    assert form[CONF_USER_ID].description == {"suggested_value": sim.edrv_user_ids[0]}
    # The stored secret never goes back to the browser.
    assert not form[CONF_WEBHOOK_SECRET].description
    assert SECRET not in repr(result)
    assert form[CONF_SAFETY_REFRESH].description == {"suggested_value": 15}
    users = schema(result)[form[CONF_USER_ID]].config["options"]
    assert [user["value"] for user in users] == sim.edrv_user_ids

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_USER_ID: sim.edrv_user_ids[1], CONF_WEBHOOK_SECRET: "other", CONF_SAFETY_REFRESH: 30},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {
        CONF_USER_ID: sim.edrv_user_ids[1],
        CONF_WEBHOOK_SECRET: "other",
        CONF_SAFETY_REFRESH: 30,
    }
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not runtime_data


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ({}, SECRET),
        ({CONF_WEBHOOK_SECRET: "  "}, SECRET),
        ({CONF_WEBHOOK_SECRET: "new"}, "new"),
        ({CONF_REMOVE_WEBHOOK_SECRET: True}, ""),
    ],
)
async def test_options_edrv_secret(
    hass: HomeAssistant, setup_account: SetupAccount, answer: dict[str, object], stored: str
) -> None:
    """An empty secret field keeps the stored secret; only the remove box clears it."""
    account = await setup_account("edrv")
    sim, entry = account.sim, account.entry

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_USER_ID: sim.edrv_user_ids[0], CONF_SAFETY_REFRESH: 15} | answer
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_WEBHOOK_SECRET] == stored
    assert CONF_REMOVE_WEBHOOK_SECRET not in entry.options


async def test_options_edrv_without_secret(
    hass: HomeAssistant, setup_account: SetupAccount
) -> None:
    """With no secret stored there is nothing to remove."""
    account = await setup_account("edrv", secret=None)
    result = await hass.config_entries.options.async_init(account.entry.entry_id)
    assert CONF_REMOVE_WEBHOOK_SECRET not in fields(result)


async def test_options_thor(hass: HomeAssistant, setup_account: SetupAccount) -> None:
    """A small Thor account has only the safety refresh; the form lists the stations once."""
    account = await setup_account("thor")
    sim, entry = account.sim, account.entry
    runtime_data = entry.runtime_data
    sim.reset_counters()

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert list(fields(result)) == [CONF_SAFETY_REFRESH]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SAFETY_REFRESH: 45}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sim.counters == {"thor GET /chargeboxes": 1}
    await hass.async_block_till_done()
    assert entry.options == {CONF_SAFETY_REFRESH: 45}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not runtime_data


@pytest.mark.parametrize(
    ("provider", "fault", "reason"),
    [
        ("edrv", {"key_revoked": True}, "invalid_auth"),
        ("thor", {"key_revoked": True}, "invalid_auth"),
        ("edrv", {"rate_limit_next": 1, "retry_after_s": 3600}, "cannot_connect"),
        ("thor", {"refuse_requests": "403 RestAPINotEnabled"}, "rest_api_disabled"),
    ],
    ids=["edrv-invalid_auth", "thor-invalid_auth", "edrv-cannot_connect", "thor-rest_api"],
)
async def test_options_cloud_refuses(
    hass: HomeAssistant,
    setup_account: SetupAccount,
    provider: str,
    fault: dict[str, Any],
    reason: str,
) -> None:
    """The form needs the stations (and eDRV users): without them it stops with the reason."""
    account = await setup_account(provider)
    account.sim.faults.update(fault)
    result = await hass.config_entries.options.async_init(account.entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
