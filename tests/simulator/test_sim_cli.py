"""Command-line parsing of `python -m simulator`."""

from __future__ import annotations

import pytest

from simulator.__main__ import build_parser, config_from_args, main


def test_defaults() -> None:
    config = config_from_args(build_parser().parse_args([]))
    assert (config.host, config.port, config.clock_factor) == ("127.0.0.1", 8080, 1.0)
    assert (config.stations, config.connectors, config.plugged_in) == (2, 2, True)
    assert config.edrv_webhook_url is None
    assert config.edrv_webhook_secret is None
    assert config.max_page_size == 50
    assert config.users[0] == "Home Assistant"
    assert (config.edrv_dialect, config.thor_dialect) == ("docs", "docs")


def test_every_option() -> None:
    args = build_parser().parse_args(
        [
            "--host=127.0.0.2",
            "--port=9000",
            "--stations=3",
            "--connectors=1",
            "--edrv-api-key=ek",
            "--thor-api-key=tk",
            "--edrv-webhook-url=http://127.0.0.1:8123/api/webhook/a",
            "--thor-webhook-url=http://127.0.0.1:8123/api/webhook/b",
            "--edrv-webhook-secret=s",
            "--edrv-dialect=legacy-escaped",
            "--thor-dialect=one-host",
            "--clock-factor=60",
            "--no-vehicle",
            "--start-delay=1",
            "--stop-delay=2",
            "--start-timeout=300",
            "--meter-interval=10",
            "--max-page-size=5",
            "--variant=quirky",
            "--seed=9",
        ]
    )
    config = config_from_args(args)
    assert config.host == "127.0.0.2"
    assert (config.port, config.stations, config.connectors) == (9000, 3, 1)
    assert (config.edrv_api_key, config.thor_api_key) == ("ek", "tk")
    assert config.edrv_webhook_url == "http://127.0.0.1:8123/api/webhook/a"
    assert config.thor_webhook_url == "http://127.0.0.1:8123/api/webhook/b"
    assert config.edrv_webhook_secret == "s"
    assert (config.edrv_dialect, config.thor_dialect) == ("legacy-escaped", "one-host")
    assert (config.clock_factor, config.plugged_in) == (60.0, False)
    assert (config.start_delay_s, config.stop_delay_s) == (1.0, 2.0)
    assert (config.start_timeout_s, config.meter_interval_s) == (300.0, 10.0)
    assert (config.max_page_size, config.variant, config.seed) == (5, "quirky", 9)


@pytest.mark.parametrize(
    "argv",
    [
        ["--edrv-dialect=v2"],
        ["--thor-dialect=odd"],
        ["--variant=odd"],
        ["--port=x"],
        ["--stations=0"],
        ["--clock-factor=-1"],
    ],
)
def test_bad_arguments_exit(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
