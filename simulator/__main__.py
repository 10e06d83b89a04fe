"""Run the simulator from the command line until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING

from .app import Simulator
from .config import VARIANT_MODES, SimulatorConfig
from .dialects import EDRV_DIALECTS, THOR_DIALECTS

if TYPE_CHECKING:
    from collections.abc import Sequence

_LOGGER = logging.getLogger(__package__)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Serve stand-ins for the eDRV and Thor cloud APIs on one HTTP server.",
    )
    add = parser.add_argument
    add("--host", default=defaults.host, help="address to bind (default %(default)s)")
    add("--port", type=int, default=8080, help="port to bind, 0 for any (default %(default)s)")
    add("--stations", type=int, default=defaults.stations, help="stations per provider")
    add("--connectors", type=int, default=defaults.connectors, help="connectors per station")
    add("--edrv-api-key", default=defaults.edrv_api_key, help="eDRV API key to accept")
    add("--thor-api-key", default=defaults.thor_api_key, help="Thor API key to accept")
    add("--edrv-webhook-url", help="where eDRV webhooks go (default: not sent)")
    add("--thor-webhook-url", help="where Thor notifications go (default: not sent)")
    add("--edrv-webhook-secret", help="sign eDRV webhooks with this secret")
    add(
        "--edrv-dialect",
        choices=list(EDRV_DIALECTS),
        default=defaults.edrv_dialect,
        help="how eDRV answers where its docs are silent (default %(default)s)",
    )
    add(
        "--thor-dialect",
        choices=list(THOR_DIALECTS),
        default=defaults.thor_dialect,
        help="how Thor answers where its docs are silent (default %(default)s)",
    )
    add(
        "--clock-factor",
        type=float,
        default=1.0,
        help="simulated seconds per real second; 0 = only POST /_sim/advance moves time",
    )
    add("--no-vehicle", action="store_true", help="start with no vehicle plugged in")
    add("--start-delay", type=float, default=defaults.start_delay_s, help="simulated s")
    add("--stop-delay", type=float, default=defaults.stop_delay_s, help="simulated s")
    add("--start-timeout", type=float, default=defaults.start_timeout_s, help="simulated s")
    add("--meter-interval", type=float, default=defaults.meter_interval_s, help="simulated s")
    add("--max-page-size", type=int, default=defaults.max_page_size)
    add("--variant", choices=VARIANT_MODES, default=defaults.variant, help="quirk spellings")
    add("--seed", type=int, default=defaults.seed, help="seed of every generated id")
    add("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """Turn parsed arguments into a configuration."""
    return SimulatorConfig(
        host=args.host,
        port=args.port,
        clock_factor=args.clock_factor,
        stations=args.stations,
        connectors=args.connectors,
        plugged_in=not args.no_vehicle,
        edrv_api_key=args.edrv_api_key,
        thor_api_key=args.thor_api_key,
        edrv_webhook_url=args.edrv_webhook_url,
        thor_webhook_url=args.thor_webhook_url,
        edrv_webhook_secret=args.edrv_webhook_secret,
        edrv_dialect=args.edrv_dialect,
        thor_dialect=args.thor_dialect,
        start_delay_s=args.start_delay,
        stop_delay_s=args.stop_delay,
        start_timeout_s=args.start_timeout,
        meter_interval_s=args.meter_interval,
        max_page_size=args.max_page_size,
        variant=args.variant,
        seed=args.seed,
    )


async def serve(config: SimulatorConfig) -> None:
    """Serve until SIGINT or SIGTERM."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with Simulator(config):
        await stopping.wait()
        _LOGGER.info("stopping")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and serve; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as err:
        parser.error(str(err))
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
