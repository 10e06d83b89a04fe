"""Prepare a Home Assistant config dir for the demo and the browser test, with HA's own tools.

prepare CONFIG --port N --username U --password P
    Create the owner through the Home Assistant auth provider, mark onboarding done and set the
    HTTP port, with Home Assistant's storage helpers (Home Assistant must not be running). Run
    again, it only moves Home Assistant to the given port.
add-account --ha URL --username U --password P --provider P --simulator URL --api-key K
    Log in through the login flow, add the simulated account through the config flow API,
    and point the simulator's webhooks at Home Assistant.
wire CONFIG --ha URL --username U --password P --simulator URL --edrv-key K --thor-key K
    A restarted demo: find the demo's own accounts by their keys (accounts added by hand keep
    their wiring), point them at the simulator's address through the reconfigure flow if it
    moved, and the simulator's webhooks at them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path
import re
import sys
from typing import Any

import aiohttp

SECRET = "demo-signing-secret"  # noqa: S105 (the simulated account's, printed by the demo)
CLIENT_ID = "http://127.0.0.1:8123/"
ONBOARDING_STEPS = ["user", "core_config", "analytics", "integration"]


# Only what the demo needs, so start-up installs nothing. The internal URL is loopback: the
# simulator delivers its webhooks there.
CONFIGURATION = """\
homeassistant:
  name: cpms demo
  time_zone: UTC
  unit_system: metric
  currency: EUR
  country: NL
  internal_url: http://127.0.0.1:{port}
automation: !include automations.yaml
config:
energy:
frontend:
history:
logger:
  default: warning
  logs:
    custom_components.cpms: info
    # The camera base platform probes for ffmpeg and libturbojpeg, which the demo does not need.
    haffmpeg: critical
    homeassistant.components.camera.img_util: critical
webhook:
"""


def write_configuration(config: Path, port: int) -> None:
    """The configuration file, and the integration linked from this repository."""
    custom = config / "custom_components"
    custom.mkdir(parents=True, exist_ok=True)
    link = custom / "cpms"
    if not link.exists():
        link.symlink_to(Path(__file__).resolve().parent.parent / "custom_components" / "cpms")
    automations = config / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n", encoding="utf-8")
    target = config / "configuration.yaml"
    if not target.exists():
        target.write_text(CONFIGURATION.format(port=port), encoding="utf-8")
        return
    # A run on another port: the internal URL follows, the rest stays as the user left it.
    text = target.read_text(encoding="utf-8")
    moved = re.sub(r"(internal_url: http://127\.0\.0\.1:)\d+", lambda m: f"{m[1]}{port}", text)
    if moved != text:
        target.write_text(moved, encoding="utf-8")


async def prepare(config: Path, port: int, username: str, password: str) -> None:
    """Create the owner, finish onboarding and set the HTTP server, with HA's own stores."""
    from homeassistant import runner  # noqa: F401,PLC0415  (event loop policy)
    from homeassistant.auth import auth_manager_from_config  # noqa: PLC0415
    from homeassistant.auth.const import GROUP_ID_ADMIN  # noqa: PLC0415
    from homeassistant.components.http.config import HTTPConfigStore  # noqa: PLC0415
    from homeassistant.config_entries import ConfigEntries  # noqa: PLC0415
    from homeassistant.core import HomeAssistant  # noqa: PLC0415
    from homeassistant.helpers import device_registry as dr, entity_registry as er  # noqa: PLC0415
    from homeassistant.helpers.storage import Store  # noqa: PLC0415

    hass = HomeAssistant(str(config))
    hass.config_entries = ConfigEntries(hass, {})
    await hass.config_entries.async_initialize()
    dr.async_setup(hass)
    await asyncio.gather(dr.async_load(hass), er.async_load(hass))
    hass.auth = await auth_manager_from_config(hass, [{"type": "homeassistant"}], [])
    provider = hass.auth.auth_providers[0]
    await provider.async_initialize()
    if not await hass.auth.async_get_users():
        await provider.async_add_auth(username, password)  # type: ignore[attr-defined]
        user = await hass.auth.async_create_user("Demo", group_ids=[GROUP_ID_ADMIN])
        credentials = await provider.async_get_or_create_credentials({"username": username})
        await hass.auth.async_link_user(user, credentials)
    onboarding: Store[dict[str, list[str]]] = Store(hass, 4, "onboarding", private=True)
    await onboarding.async_save({"done": ONBOARDING_STEPS})
    # As if confirmed in Settings > System > Network: loopback only, on the demo's port.
    http = HTTPConfigStore(hass)
    await http.async_migrate_yaml({"server_host": ["127.0.0.1"], "server_port": port})
    if http.pending is not None:
        await http.async_promote_pending()
    logging.getLogger("homeassistant.core").setLevel(logging.WARNING)
    await hass.async_stop()


async def _token(session: aiohttp.ClientSession, ha: str, username: str, password: str) -> str:
    """Log in the way the frontend does: login flow, then an authorization code for a token."""
    async with session.post(
        f"{ha}/auth/login_flow",
        json={
            "client_id": CLIENT_ID,
            "handler": ["homeassistant", None],
            "redirect_uri": CLIENT_ID,
        },
    ) as response:
        flow = await response.json()
    async with session.post(
        f"{ha}/auth/login_flow/{flow['flow_id']}",
        json={"username": username, "password": password, "client_id": CLIENT_ID},
    ) as response:
        result = await response.json()
    if result.get("type") != "create_entry":
        raise SystemExit(f"login failed: {result.get('errors')}")
    async with session.post(
        f"{ha}/auth/token",
        data={"grant_type": "authorization_code", "code": result["result"], "client_id": CLIENT_ID},
    ) as response:
        tokens = await response.json()
    return str(tokens["access_token"])


async def _set_webhook(
    session: aiohttp.ClientSession, simulator: str, provider: str, url: str
) -> None:
    async with session.post(
        f"{simulator}/_sim/webhooks", json={"provider": provider, "url": url}
    ) as response:
        response.raise_for_status()


BASE_PATHS = {"edrv": "/edrv/v1.1", "thor": "/thor/latest/integration"}
# Thor's docs send starts and stops to another host; the simulator serves it under this path.
THOR_COMMAND_PATH = "/thor-dev/latest/integration"


def _addresses(simulator: str, provider: str) -> dict[str, str]:
    """The Advanced section of the credentials form, for the simulator at `simulator`."""
    addresses = {"base_url": simulator + BASE_PATHS[provider]}
    if provider == "thor":
        addresses["command_url"] = simulator + THOR_COMMAND_PATH
    return addresses


async def add_account(
    *, ha: str, username: str, password: str, provider: str, simulator: str, api_key: str
) -> None:
    """Add one simulated account through the config flow API, as the frontend would."""
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {await _token(session, ha, username, password)}"}
        answers: list[dict[str, Any]] = [
            {"provider": provider},
            {"api_key": api_key, "advanced": _addresses(simulator, provider)},
        ]
        if provider == "edrv":
            answers.append({"webhook_secret": SECRET})  # the first user is the default
        async with session.post(
            f"{ha}/api/config/config_entries/flow", json={"handler": "cpms"}, headers=headers
        ) as response:
            result = await response.json()
        for answer in answers:
            async with session.post(
                f"{ha}/api/config/config_entries/flow/{result['flow_id']}",
                json=answer,
                headers=headers,
            ) as response:
                result = await response.json()
            # The webhook step warns that a cloud could not reach a local URL: expected here.
            warning_only = str(result.get("step_id", "")).startswith("webhook_")
            if result.get("type") != "form" or (result.get("errors") and not warning_only):
                raise SystemExit(f"adding {provider} failed at {result}")
        url = result["description_placeholders"]["url"]
        async with session.post(
            f"{ha}/api/config/config_entries/flow/{result['flow_id']}", json={}, headers=headers
        ) as response:
            result = await response.json()
        if result.get("type") != "create_entry":
            raise SystemExit(f"adding {provider} failed at {result}")
        await _set_webhook(session, simulator, provider, url)


def demo_entries(config: Path, keys: dict[str, str]) -> list[dict[str, Any]]:
    """The demo's own accounts: those with the simulator's keys, one per provider."""
    entries = json.loads((config / ".storage" / "core.config_entries").read_text("utf-8"))
    return [
        entry
        for entry in entries["data"]["entries"]
        if entry["domain"] == "cpms"
        and entry["data"].get("api_key") == keys.get(entry["data"].get("provider", ""))
    ]


async def _reconfigure(
    session: aiohttp.ClientSession,
    ha: str,
    headers: dict[str, str],
    entry_id: str,
    addresses: dict[str, str],
) -> None:
    """Give an account the simulator's new address, as Reconfigure in the frontend would."""
    async with session.post(
        f"{ha}/api/config/config_entries/flow",
        json={"handler": "cpms", "entry_id": entry_id},
        headers=headers,
    ) as response:
        result = await response.json()
    async with session.post(
        f"{ha}/api/config/config_entries/flow/{result['flow_id']}",
        json={"advanced": addresses},  # an empty key keeps the account's key
        headers=headers,
    ) as response:
        result = await response.json()
    if result.get("reason") != "reconfigure_successful":
        raise SystemExit(f"moving {entry_id} to {addresses} failed at {result}")


async def wire(
    config: Path, *, ha: str, username: str, password: str, simulator: str, keys: dict[str, str]
) -> None:
    """Point the demo's accounts at the simulator, and the simulator at their webhooks."""
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {await _token(session, ha, username, password)}"}
        for entry in demo_entries(config, keys):
            data = entry["data"]
            provider = data["provider"]
            addresses = _addresses(simulator, provider)
            if any(data.get(key) != value for key, value in addresses.items()):
                await _reconfigure(session, ha, headers, entry["entry_id"], addresses)
            url = f"{ha}/api/webhook/{data['webhook_id']}"
            await _set_webhook(session, simulator, provider, url)


def main(argv: list[str]) -> None:
    """Run one of the commands."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare")
    prep.add_argument("config", type=Path)
    prep.add_argument("--port", type=int, default=8123)
    add = commands.add_parser("add-account")
    add.add_argument("--ha", required=True)
    add.add_argument("--provider", choices=["edrv", "thor"], required=True)
    add.add_argument("--simulator", required=True)
    add.add_argument("--api-key", required=True)
    link = commands.add_parser("wire")
    link.add_argument("config", type=Path)
    link.add_argument("--ha", required=True)
    link.add_argument("--simulator", required=True)
    link.add_argument("--edrv-key", required=True)
    link.add_argument("--thor-key", required=True)
    for command in (prep, add, link):
        command.add_argument("--username", required=True)
        command.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        write_configuration(args.config, args.port)
        asyncio.run(prepare(args.config, args.port, args.username, args.password))
    elif args.command == "add-account":
        asyncio.run(
            add_account(
                ha=args.ha,
                username=args.username,
                password=args.password,
                provider=args.provider,
                simulator=args.simulator,
                api_key=args.api_key,
            )
        )
    else:
        asyncio.run(
            wire(
                args.config,
                ha=args.ha,
                username=args.username,
                password=args.password,
                simulator=args.simulator,
                keys={"edrv": args.edrv_key, "thor": args.thor_key},
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
