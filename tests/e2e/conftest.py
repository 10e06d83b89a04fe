"""A real Home Assistant process and the simulator, for a browser to drive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
import os
from pathlib import Path
import shutil
import socket
import sys

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
USERNAME = "demo"
PASSWORD = "demo-cpms"
SECRET = "e2e-signing-secret"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(socket_enabled: None) -> None:
    """Override the root fixture: Home Assistant runs as its own process here."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: scripts/setup installs it (Debian package chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Demo:
    """Where the running Home Assistant and simulator answer."""

    ha: str
    simulator: str

    async def sim(self, method: str, path: str, body: object = None) -> object:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, f"{self.simulator}/_sim/{path}", json=body) as response,
        ):
            response.raise_for_status()
            return await response.json()


async def _wait_until_up(url: str, process: asyncio.subprocess.Process, what: str) -> None:
    """Poll for up to 5 minutes: a loaded 2-core machine starts Home Assistant slowly."""
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError(f"{what} exited with {process.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{what} did not answer at {url}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """Home Assistant, onboarded with a local user, and the simulator with time 30x faster.

    Two stations, so that names must tell their connectors apart.
    """
    ha_port, sim_port = _free_port(), _free_port()
    config = tmp_path / "config"
    python = sys.executable
    prepare = await asyncio.create_subprocess_exec(
        python, str(ROOT / "scripts" / "ha_bootstrap.py"), "prepare", str(config),
        "--port", str(ha_port), "--username", USERNAME, "--password", PASSWORD,
    )  # fmt: skip
    assert await prepare.wait() == 0
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    simulator = await asyncio.create_subprocess_exec(
        python, "-m", "simulator", "--port", str(sim_port), "--stations", "2",
        "--clock-factor", "30", "--edrv-webhook-secret", SECRET,
        stdout=(logs / "simulator.log").open("wb"), stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip
    hass = await asyncio.create_subprocess_exec(
        str(Path(python).with_name("hass")), "--config", str(config),
        stdout=(logs / "home-assistant.log").open("wb"), stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    demo = Demo(ha=f"http://127.0.0.1:{ha_port}", simulator=f"http://127.0.0.1:{sim_port}")
    try:
        await _wait_until_up(f"{demo.simulator}/_sim/state", simulator, "the simulator")
        await _wait_until_up(f"{demo.ha}/auth/providers", hass, "Home Assistant")
        yield demo
    finally:
        await _stop(hass)
        await _stop(simulator)
