"""Config flow: provider, API key, the eDRV user, and the webhook URL to paste."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api import (
    CpmsAccessDeniedError,
    CpmsAuthenticationError,
    CpmsConnectionError,
    CpmsError,
    CpmsNotFoundError,
    CpmsRateLimitError,
    CpmsResponseError,
    EdrvClient,
    Provider,
    Station,
    User,
)
from .const import (
    CONF_ADD_NEW_STATIONS,
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_CLOUDHOOK_URL,
    CONF_COMMAND_URL,
    CONF_PROVIDER,
    CONF_REMOVE_WEBHOOK_SECRET,
    CONF_SAFETY_REFRESH,
    CONF_STATIONS,
    CONF_USER_ID,
    CONF_WEBHOOK_SECRET,
    DEFAULT_SAFETY_REFRESH_MINUTES,
    DOMAIN,
    EDRV_WEBHOOK_EVENTS,
    HANDFUL_OF_STATIONS,
    THOR_WEBHOOK_SECTIONS,
)
from .listing import async_keep_listing
from .providers import DEFAULT_BASE_URLS, DEFAULT_COMMAND_URL, PROVIDER_NAMES, create_client
from .selection import StationSelection, selection_options, station_selector
from .webhook import async_webhook_url

_LOGGER = logging.getLogger(__name__)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_AUTH_ERRORS = {"RestAPINotEnabled": "rest_api_disabled", "InvalidSourceIPAddr": "ip_not_allowed"}


class CannotConfigureError(Exception):
    """Validation failed; `key` is the translated error to show."""

    def __init__(self, key: str) -> None:
        """Keep the error key."""
        super().__init__(key)
        self.key = key


async def async_validate(
    hass: HomeAssistant, provider: Provider, data: Mapping[str, Any]
) -> tuple[list[Station], list[User]]:
    """Read the account with the given key; the users too on eDRV, who start sessions."""
    client = create_client(hass, provider, data)
    try:
        stations = await client.async_get_stations()
        users = await client.async_get_users() if isinstance(client, EdrvClient) else []
    except CpmsAuthenticationError as err:
        raise CannotConfigureError("invalid_auth") from err
    except CpmsAccessDeniedError as err:
        raise CannotConfigureError(_AUTH_ERRORS.get(err.code, "invalid_auth")) from err
    except (CpmsConnectionError, CpmsRateLimitError) as err:
        raise CannotConfigureError("cannot_connect") from err
    except (CpmsNotFoundError, CpmsResponseError) as err:
        # Something answers there, but not the provider's API: a wrong base URL.
        raise CannotConfigureError("not_provider_api") from err
    except CpmsError as err:
        _LOGGER.warning("Unexpected answer while validating the account: %s", err)
        raise CannotConfigureError("unknown") from err
    if not stations:
        raise CannotConfigureError("no_stations")
    async_keep_listing(hass, account_id(provider, stations), stations)
    return stations, users


def account_id(provider: Provider, stations: list[Station]) -> str:
    """Identify the account by its oldest-sorting station, as the APIs expose no account id."""
    return f"{provider}_{min(station.id for station in stations)}"


def default_title(provider: Provider, stations: list[Station]) -> str:
    """Name the account after its stations, so that two accounts of a provider differ."""
    names = sorted(station.name for station in stations)
    shown = ", ".join(names[:2]) + (", …" if len(names) > 2 else "")
    return f"{PROVIDER_NAMES[provider]} · {shown}"


def _credentials_schema(
    provider: Provider, *, key_required: bool = True, collapsed: bool = True
) -> probatio.Schema:
    key = probatio.Required(CONF_API_KEY) if key_required else probatio.Optional(CONF_API_KEY)
    return probatio.Schema(
        {
            key: _PASSWORD,
            probatio.Required(CONF_ADVANCED): section(
                probatio.Schema(
                    {
                        probatio.Optional(CONF_BASE_URL, default=DEFAULT_BASE_URLS[provider]): _URL,
                        **(
                            {probatio.Optional(CONF_COMMAND_URL, default=DEFAULT_COMMAND_URL): _URL}
                            if provider is Provider.THOR
                            else {}
                        ),
                    }
                ),
                {"collapsed": collapsed},
            ),
        }
    )


def _credentials(
    provider: Provider, user_input: dict[str, Any], current_key: str = ""
) -> dict[str, Any]:
    advanced = user_input.get(CONF_ADVANCED, {})
    base_url = advanced.get(CONF_BASE_URL) or DEFAULT_BASE_URLS[provider]
    data = {
        CONF_PROVIDER: provider.value,
        CONF_API_KEY: user_input.get(CONF_API_KEY, "").strip() or current_key,
        CONF_BASE_URL: base_url.rstrip("/"),
    }
    if provider is Provider.THOR:
        command_url = advanced.get(CONF_COMMAND_URL) or DEFAULT_COMMAND_URL
        if (
            command_url == DEFAULT_COMMAND_URL
            and data[CONF_BASE_URL] != DEFAULT_BASE_URLS[provider]
        ):
            # Another read address (a development endpoint) takes the commands too.
            command_url = data[CONF_BASE_URL]
        data[CONF_COMMAND_URL] = command_url.rstrip("/")
    return data


def _user_selector(users: list[User]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(
                    value=user.id, label=f"{user.name} ({user.email})" if user.email else user.name
                )
                for user in users
            ],
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def _station_fields(stations: list[Station]) -> dict[Any, Any]:
    """Choose among the account's stations, and what happens to stations it gains later."""
    return {
        probatio.Required(CONF_STATIONS): station_selector(stations),
        probatio.Required(CONF_ADD_NEW_STATIONS): BooleanSelector(),
    }


def _chosen_stations(
    stations: list[Station], user_input: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The selection's options, or the error of an empty choice."""
    chosen = user_input[CONF_STATIONS]
    if not chosen:
        return None, {CONF_STATIONS: "no_station_chosen"}
    listed = [station.id for station in stations]
    return selection_options(listed, chosen, add_new=user_input[CONF_ADD_NEW_STATIONS]), {}


class CpmsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an eDRV or Thor account."""

    VERSION = 1

    def __init__(self) -> None:
        """Start empty."""
        self._provider = Provider.EDRV
        self._data: dict[str, Any] = {}
        self._options: dict[str, Any] = {}
        self._users: list[User] = []
        self._stations: list[Station] = []
        self._title = ""

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> CpmsOptionsFlow:
        """Options: the eDRV user, the signing secret, the safety refresh."""
        return CpmsOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the provider."""
        if user_input is not None:
            self._provider = Provider(user_input[CONF_PROVIDER])
            return await self.async_step_credentials()
        return self.async_show_form(
            step_id="user",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_PROVIDER): SelectSelector(
                        SelectSelectorConfig(
                            options=[p.value for p in Provider],
                            translation_key=CONF_PROVIDER,
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
        )

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API key and check it with a real call."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _credentials(self._provider, user_input)
            try:
                self._stations, self._users = await async_validate(self.hass, self._provider, data)
            except CannotConfigureError as err:
                errors["base"] = err.key
            else:
                unique_id = account_id(self._provider, self._stations)
                self._take_over(unique_id)
                await self.async_set_unique_id(unique_id, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                self._data = data
                self._title = default_title(self._provider, self._stations)
                if self._provider is Provider.EDRV:
                    return await self.async_step_edrv_user()
                return await self.async_step_stations()
        return self.async_show_form(
            step_id="credentials",
            # After an error the form keeps what was typed, the base URL included and in view.
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(self._provider, collapsed=not errors), user_input or {}
            ),
            errors=errors,
            description_placeholders={"provider": PROVIDER_NAMES[self._provider]},
        )

    def _take_over(self, unique_id: str) -> None:
        """End earlier flows for the same account: a closed dialog must not lock it."""
        for flow in self._async_in_progress(include_uninitialized=True):
            if flow["context"].get("unique_id") == unique_id:
                self.hass.config_entries.flow.async_abort(flow["flow_id"])

    async def async_step_edrv_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the eDRV user on whose behalf sessions start, and the signing secret."""
        if not self._users:
            return self.async_abort(reason="no_users")
        if user_input is not None:
            self._options = {
                CONF_USER_ID: user_input[CONF_USER_ID],
                CONF_WEBHOOK_SECRET: user_input.get(CONF_WEBHOOK_SECRET, "").strip(),
            }
            return await self.async_step_stations()
        return self.async_show_form(
            step_id="edrv_user",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_USER_ID, default=self._users[0].id): _user_selector(
                        self._users
                    ),
                    probatio.Optional(CONF_WEBHOOK_SECRET): _PASSWORD,
                }
            ),
        )

    async def async_step_stations(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let a large account choose its stations; a small one gets them all."""
        if len(self._stations) <= HANDFUL_OF_STATIONS:
            return await self.async_step_webhook()
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen, errors = _chosen_stations(self._stations, user_input)
            if chosen is not None:
                self._options.update(chosen)
                return await self.async_step_webhook()
        return self.async_show_form(
            step_id="stations",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(_station_fields(self._stations)),
                user_input
                or {
                    CONF_STATIONS: [station.id for station in self._stations],
                    CONF_ADD_NEW_STATIONS: True,
                },
            ),
            errors=errors,
            description_placeholders={"count": str(len(self._stations))},
        )

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the URL to paste into the provider's dashboard, then create the entry."""
        if CONF_WEBHOOK_ID not in self._data:
            self._data[CONF_WEBHOOK_ID] = webhook.async_generate_id()
        target = await async_webhook_url(self.hass, self._data[CONF_WEBHOOK_ID])
        if user_input is not None:
            # Another flow may have added the account meanwhile.
            self._abort_if_unique_id_configured()
            if target.cloudhook:
                self._data[CONF_CLOUDHOOK_URL] = target.url
            return self.async_create_entry(
                title=user_input.get(CONF_NAME, "").strip() or self._title,
                data=self._data,
                options={**self._options, CONF_SAFETY_REFRESH: DEFAULT_SAFETY_REFRESH_MINUTES},
            )
        return self.async_show_form(
            step_id="webhook_edrv" if self._provider is Provider.EDRV else "webhook_thor",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_NAME, default=self._title): TextSelector()}
            ),
            description_placeholders={
                "url": target.url,
                "events": EDRV_WEBHOOK_EVENTS,
                "sections": THOR_WEBHOOK_SECTIONS,
            },
            # Shown as a warning; the user may still go on, for a cloud on the same network.
            errors=None if target.reachable else {"base": "webhook_unreachable"},
            last_step=True,
        )

    async def async_step_webhook_edrv(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The eDRV variant of the webhook step."""
        return await self.async_step_webhook(user_input)

    async def async_step_webhook_thor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The Thor variant of the webhook step."""
        return await self.async_step_webhook(user_input)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The key stopped working."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key for the same account."""
        entry = self._get_reauth_entry()
        provider = Provider(entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_API_KEY: user_input[CONF_API_KEY].strip()}
            if (error := await self._async_check_same_account(entry, provider, data)) is None:
                return self.async_update_reload_and_abort(entry, data=data)
            errors["base"] = error
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema({probatio.Required(CONF_API_KEY): _PASSWORD}),
            errors=errors,
            description_placeholders={"provider": PROVIDER_NAMES[provider]},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the key or the base URL of the same account; an empty key keeps the current."""
        entry = self._get_reconfigure_entry()
        provider = Provider(entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_credentials(provider, user_input, entry.data[CONF_API_KEY])}
            if (error := await self._async_check_same_account(entry, provider, data)) is None:
                return self.async_update_reload_and_abort(entry, data=data)
            errors["base"] = error
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(provider, key_required=False, collapsed=False),
                {
                    CONF_ADVANCED: {
                        key: entry.data[key]
                        for key in (CONF_BASE_URL, CONF_COMMAND_URL)
                        if key in entry.data
                    }
                }
                if user_input is None
                else {CONF_ADVANCED: user_input.get(CONF_ADVANCED, {})},
            ),
            errors=errors,
            description_placeholders={"provider": PROVIDER_NAMES[provider]},
        )

    async def _async_check_same_account(
        self, entry: ConfigEntry, provider: Provider, data: Mapping[str, Any]
    ) -> str | None:
        """The error key, or None when the key reaches the entry's account."""
        try:
            stations, _users = await async_validate(self.hass, provider, data)
        except CannotConfigureError as err:
            return err.key
        station_id = (entry.unique_id or "").removeprefix(f"{provider}_")
        if all(station.id != station_id for station in stations):
            return "wrong_account"
        return None


class CpmsOptionsFlow(OptionsFlowWithReload):
    """Change who starts eDRV sessions, the signing secret, the stations and the refresh."""

    def __init__(self) -> None:
        """The account is read once, when the form is first shown."""
        self._account: tuple[list[Station], list[User]] | None = None

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form; the eDRV fields only for eDRV, the stations only for large accounts."""
        entry = self.config_entry
        provider = Provider(entry.data[CONF_PROVIDER])
        if self._account is None:
            try:
                self._account = await async_validate(self.hass, provider, entry.data)
            except CannotConfigureError as err:
                return self.async_abort(reason=err.key)
        stations, users = self._account
        choose = len(stations) > HANDFUL_OF_STATIONS or CONF_STATIONS in entry.options
        errors: dict[str, str] = {}
        stored_secret = entry.options.get(CONF_WEBHOOK_SECRET, "")
        if user_input is not None:
            options = {**entry.options, **user_input}
            remove = options.pop(CONF_REMOVE_WEBHOOK_SECRET, False)
            if provider is Provider.EDRV:
                # The secret is never sent to the form, so an empty field keeps the stored one.
                secret = user_input.get(CONF_WEBHOOK_SECRET, "").strip()
                options[CONF_WEBHOOK_SECRET] = "" if remove else secret or stored_secret
            if choose:
                chosen, errors = _chosen_stations(stations, user_input)
                options.update(chosen or {})
            if not errors:
                return self.async_create_entry(data=options)
        fields: dict[Any, Any] = {}
        if provider is Provider.EDRV:
            fields[probatio.Required(CONF_USER_ID)] = _user_selector(users)
            fields[probatio.Optional(CONF_WEBHOOK_SECRET)] = _PASSWORD
            if stored_secret:
                fields[probatio.Optional(CONF_REMOVE_WEBHOOK_SECRET, default=False)] = (
                    BooleanSelector()
                )
        if choose:
            fields.update(_station_fields(stations))
        fields[probatio.Required(CONF_SAFETY_REFRESH)] = NumberSelector(
            NumberSelectorConfig(
                min=5, max=240, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="min"
            )
        )
        selection = StationSelection.from_options(entry.options)
        shown = {
            CONF_STATIONS: [station.id for station in stations if selection.shows(station.id)],
            CONF_ADD_NEW_STATIONS: selection.add_new,
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(fields),
                {
                    key: value
                    for key, value in (user_input or {**entry.options, **shown}).items()
                    if key != CONF_WEBHOOK_SECRET
                },
            ),
            errors=errors,
        )
