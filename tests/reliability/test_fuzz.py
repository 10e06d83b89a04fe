"""Fuzzed deliveries: the decoders raise nothing but their own error; the endpoint never a 5xx."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import time

from hypothesis import given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cpms.api import (
    EdrvWebhookDecoder,
    Event,
    ThorWebhookDecoder,
    WebhookError,
)

from ..api.samples import THOR_BOX
from ..integration.conftest import SECRET, SetupAccount
from .payloads import bodies, edrv_seeds, edrv_signature, thor_seeds
from .tally import Tally, sized

pytestmark = pytest.mark.reliability

NOW = 1_795_000_000.0
# Per decoder test; five of them reach 10,000 at full size.
CASES = sized(300, 2500)
HTTP_CASES = sized(60, 600)

type Decode = Callable[[bytes, Mapping[str, str]], list[Event]]


def _only_webhook_errors(decode: Decode, body: bytes, headers: Mapping[str, str]) -> None:
    try:
        events = decode(body, headers)
    except WebhookError:
        return
    assert isinstance(events, list)
    assert all(isinstance(event, Event) for event in events)


def _run(tally: Tally, check: Callable[..., None], **strategies: st.SearchStrategy[object]) -> None:
    """Run `check` on CASES generated cases, counted."""

    @settings(max_examples=CASES)
    @given(**strategies)
    def case(**values: object) -> None:
        tally.fuzz_cases += 1
        check(**values)

    case()


def test_edrv_decoder_unsigned(tally: Tally) -> None:
    decoder = EdrvWebhookDecoder(None)
    _run(
        tally,
        lambda body: _only_webhook_errors(decoder.decode, body, {}),
        body=bodies(edrv_seeds()),
    )


def test_edrv_decoder_signed(tally: Tally) -> None:
    """Correctly signed garbage gets past the signature and must still fail cleanly."""
    decoder = EdrvWebhookDecoder(SECRET, clock=lambda: NOW)

    def check(body: bytes, with_t: bool) -> None:
        header = edrv_signature(SECRET, body, NOW, with_t=with_t)
        _only_webhook_errors(decoder.decode, body, {"edrv-signature": header})

    _run(tally, check, body=bodies(edrv_seeds()), with_t=st.booleans())


def test_edrv_signature_header(tally: Tally) -> None:
    """Any header: only a signature error, or the events of a valid one."""
    decoder = EdrvWebhookDecoder(SECRET, clock=lambda: NOW)
    body = b'{"_id":"e1","type":"session.started","data":{}}'
    valid = edrv_signature(SECRET, body, NOW)
    headers = st.one_of(
        st.text(max_size=200),
        st.builds(
            lambda cut, junk: valid[:cut] + junk + valid[cut:],
            st.integers(0, len(valid)),
            st.text(max_size=8),
        ),
        st.builds(lambda stamp: f"t={stamp},{valid.split(',')[1]}", st.text(max_size=30)),
    )

    def check(header: str) -> None:
        try:
            decoder.decode(body, {"edrv-signature": header})
        except WebhookError:
            return

    _run(tally, check, header=headers)


def test_thor_decoder(tally: Tally) -> None:
    decoder = ThorWebhookDecoder(lambda: {THOR_BOX, "", "x"})
    _run(
        tally,
        lambda body: _only_webhook_errors(decoder.decode, body, {}),
        body=bodies(thor_seeds()),
    )


def test_random_bytes_both(tally: Tally) -> None:
    edrv = EdrvWebhookDecoder(None)
    thor = ThorWebhookDecoder(lambda: {THOR_BOX})

    def check(body: bytes) -> None:
        _only_webhook_errors(edrv.decode, body, {})
        _only_webhook_errors(thor.decode, body, {})

    _run(tally, check, body=st.binary(max_size=256))


def _examples(strategy: st.SearchStrategy[bytes], count: int) -> list[bytes]:
    """Draw `count` bodies with hypothesis, to send from an async test."""
    drawn: list[bytes] = []

    @settings(max_examples=count)
    @given(strategy)
    def draw(body: bytes) -> None:
        drawn.append(body)

    draw()
    return drawn


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_endpoint_never_answers_5xx(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    tally: Tally,
    provider: str,
) -> None:
    """Fuzzed bodies about the account's own stations, signed where eDRV signs, over HTTP."""
    account = await setup_account(provider)
    station = account.sim.station_ids(provider)[0]
    seeds = (
        edrv_seeds(station, account.connector_id()) if provider == "edrv" else thor_seeds(station)
    )
    client = await hass_client_no_auth()
    statuses: dict[int, int] = {}
    for body in _examples(bodies(seeds), HTTP_CASES):
        headers = {}
        if provider == "edrv":
            headers["edrv-signature"] = edrv_signature(SECRET, body, time.time())
        response = await client.post(account.webhook_path, data=body, headers=headers)
        tally.fuzz_cases += 1
        statuses[response.status] = statuses.get(response.status, 0) + 1
        assert response.status < 500, body
    await account.hass.async_block_till_done(wait_background_tasks=True)
    assert set(statuses) <= {200, 400, 403, 413}, statuses
