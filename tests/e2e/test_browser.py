"""What a user clicks in Home Assistant's frontend.

Add an eDRV account (a wrong key first, then the right one), read the webhook step, find the
connectors under names of their own, charge and stop, fail to start, and pick the session
energy for the Energy dashboard.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import re

from playwright.async_api import Browser, Page, async_playwright, expect
import pytest

from .conftest import ARTIFACTS, CHROMIUM, PASSWORD, SECRET, USERNAME, Demo

# As for any headless Chromium on a closed network: no background traffic, no sandbox as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# On a busy 2-core machine Home Assistant can take a minute to load a flow or push a state:
# every wait allows for that, and a wait that runs out fails the test, never skips it.
WAIT_MS = 120_000
expect.set_options(timeout=WAIT_MS)
ENERGY = re.compile(r"Session energy ([\d.]+) kWh")
STATUS = re.compile(
    r"Session status (Idle|Starting|Waiting for vehicle|Charging|Stopping|Ended|Cancelled)"
)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """The system's Chromium, driven by Playwright (which downloads no browser of its own)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png")


async def _log_in(page: Page, demo: Demo) -> None:
    await page.goto(demo.ha)
    await page.get_by_label("Username").fill(USERNAME)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await _shot(page, "01-login")
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/home"))


async def _add_edrv_account(page: Page, demo: Demo) -> None:
    """Settings > Devices & services > Add integration > CPMS, as a user would."""
    await page.goto(f"{demo.ha}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("CPMS")
    await page.get_by_text("CPMS EV charging").first.click()
    await expect(page.get_by_text("Choose your charging cloud")).to_be_visible()
    await page.get_by_text("eDRV", exact=True).click()
    await _shot(page, "02-flow-provider")
    await page.get_by_role("button", name="Submit").click()

    # A mistyped key: the error says so, and what was typed stays in view, the URL too.
    base_url = f"{demo.simulator}/edrv/v1.1"
    await page.get_by_role("textbox", name="API key").fill("edrv-mistyped-key")
    await page.get_by_role("button", name="Advanced").click()
    await page.get_by_role("textbox", name="API base URL").fill(base_url)
    await _shot(page, "03-flow-credentials")
    await page.get_by_role("button", name="Submit").click()
    await expect(page.get_by_text("The API key was refused.")).to_be_visible()
    await expect(page.get_by_role("textbox", name="API base URL")).to_have_value(base_url)
    await _shot(page, "04-flow-credentials-error")
    await page.get_by_role("textbox", name="API key").fill("edrv-sim-key")
    await page.get_by_role("button", name="Submit").click()

    await page.get_by_role("textbox", name="Webhook signing secret").fill(SECRET)
    await page.get_by_role("button", name="Submit").click()

    # The events to subscribe to read as written: `session.*` keeps its star.
    await expect(page.get_by_text("Add the webhook in eDRV")).to_be_visible()
    for event in ("session.*", "chargestation.set_power_limit.*"):
        await expect(page.locator("code", has_text=event).first).to_have_text(event)
    await expect(page.get_by_role("textbox", name="Account name")).to_have_value(
        "eDRV · HA-SIM-01, HA-SIM-02"
    )
    url = (await page.get_by_text(re.compile(r"/api/webhook/")).inner_text()).strip()
    assert url.startswith(f"{demo.ha}/api/webhook/")
    await _shot(page, "05-flow-webhook")
    # What the user does in the eDRV dashboard: deliver webhooks to this URL.
    await demo.sim("POST", "webhooks", {"provider": "edrv", "url": url})
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_role("button", name="Skip and finish").click()


async def _open_connector(page: Page, demo: Demo) -> None:
    """The device list names each connector after its station; open the first one."""
    await page.goto(f"{demo.ha}/config/devices/dashboard")
    rows = {
        (station, connector): page.get_by_role(
            "rowheader", name=f"{station} Connector {connector} Part of {station}"
        )
        for station in ("HA-SIM-01", "HA-SIM-02")
        for connector in (1, 2)
    }
    for row in rows.values():
        await expect(row).to_be_visible()
    await rows["HA-SIM-01", 1].click()
    await expect(page.get_by_text("Part of")).to_be_visible()


async def _pick_session_energy(page: Page, demo: Demo) -> None:
    """Energy dashboard settings: the connector's session energy is offered as a device."""
    await page.goto(f"{demo.ha}/config/energy")
    await page.get_by_role("button", name="Add device").click()
    await page.locator("ha-statistic-picker").first.click()
    await page.get_by_placeholder("Search").fill("Session energy")
    # Each entry names the station, then the connector device that has the station's name.
    option = page.get_by_text("HA-SIM-01 ▸ HA-SIM-01 Connector 1", exact=True)
    await expect(page.get_by_text("HA-SIM-02 ▸ HA-SIM-02 Connector 1", exact=True)).to_be_visible()
    await expect(option).to_be_visible()
    await _shot(page, "10-energy-picker")
    await option.click()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("HA-SIM-01 Connector 1 Session energy")).to_be_visible()
    await _shot(page, "11-energy-device")


async def _read(page: Page, pattern: re.Pattern[str]) -> str:
    """A sensor's value as the device page shows it (the accessibility tree sees its shadow DOM)."""
    match = pattern.search(await page.locator("body").aria_snapshot())
    assert match, pattern.pattern
    return match[1]


async def _until(page: Page, pattern: re.Pattern[str], check: Callable[[str], bool]) -> str:
    """Wait for the page to show a value that passes the check; no reload, it is pushed."""
    for _ in range(WAIT_MS // 200):
        value = await _read(page, pattern)
        if check(value):
            return value
        await page.wait_for_timeout(200)
    raise AssertionError(f"{pattern.pattern}: still {value!r}")


async def test_charge_from_the_device_page(browser: Browser, demo: Demo) -> None:
    """Add the account, turn Charging on, watch it charge by push, turn it off, pick it."""
    # Tall enough that the device page shows its diagnostic sensors too (README screenshot).
    page = await browser.new_page(viewport={"width": 1280, "height": 1100})
    page.set_default_timeout(WAIT_MS)
    await _log_in(page, demo)
    await _add_edrv_account(page, demo)
    await _open_connector(page, demo)
    await _shot(page, "06-device")

    switch = page.get_by_role("switch").first
    toggle = page.locator("ha-switch").first  # what the user clicks; it covers the input
    assert await _read(page, STATUS) == "Idle"
    await toggle.click()
    await expect(switch).to_be_checked()
    await _until(page, STATUS, lambda status: status == "Charging")
    first = float(await _until(page, ENERGY, lambda energy: float(energy) > 0))
    await _until(page, ENERGY, lambda energy: float(energy) > first)
    await _shot(page, "07-charging")

    await toggle.click()
    await expect(switch).not_to_be_checked()
    await _until(page, STATUS, lambda status: status == "Ended")
    assert float(await _read(page, ENERGY)) > first
    await _shot(page, "08-ended")

    # The station is offline: the cloud refuses the start, the user reads why.
    await demo.sim("POST", "faults", {"fail_next_start": "406 Chargestation is offline"})
    await toggle.click()
    await expect(page.get_by_text("The charge station is offline").first).to_be_visible()
    await expect(switch).not_to_be_checked()
    await _shot(page, "09-start-refused")

    await _pick_session_energy(page, demo)
