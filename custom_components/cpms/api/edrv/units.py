"""The scale of eDRV's unitless state of charge, decided from what else the station reported."""

from __future__ import annotations

from collections import OrderedDict

from ..observe import CloudObservations
from ..values import folded, optional_dict, to_float

_SESSIONS_KEPT = 256
_FACT = "eDRV state of charge without unit"


class EdrvUnits:
    """Reads a state of charge in percent, whatever scale a unitless value came in.

    "Percent" is taken as is. A unitless value is a percentage on an OCPP 1.6 station (1.6
    reports SoC in percent) and for any session that already reported a unitless value above
    1; otherwise a value of at most 1 is a fraction, as an OCPP 2.0.1 sample shows (0.52).
    """

    def __init__(self, observations: CloudObservations) -> None:
        """Start with no station protocol and no session known to report percent."""
        self._observations = observations
        self._protocols: dict[str, str] = {}
        self._percent_sessions: OrderedDict[str, None] = OrderedDict()

    def learn_station(self, station_id: str, protocol: object) -> None:
        """Remember the OCPP version a chargestation speaks ("ocpp1.6", "ocpp2.0.1")."""
        if isinstance(protocol, str):
            self._protocols[station_id] = protocol.strip().lower()

    def soc(self, data: object, *, session_id: str, station_id: str) -> float | None:
        """Return the state of charge in percent; None when absent or outside 0-100."""
        soc = optional_dict(data)
        value = to_float(soc.get("value"))
        if value is None:
            return None
        if folded(soc.get("unit")) not in {"percent", "%"}:
            value = self._unitless(value, session_id, station_id)
        return value if 0 <= value <= 100 else None

    def _unitless(self, value: float, session_id: str, station_id: str) -> float:
        if value > 1:
            self._percent_sessions[session_id] = None
            if len(self._percent_sessions) > _SESSIONS_KEPT:
                self._percent_sessions.popitem(last=False)
            self._observations.note(_FACT, "percent")
            return value
        if session_id in self._percent_sessions or self._protocols.get(station_id) == "ocpp1.6":
            return value
        self._observations.note(_FACT, "fraction (0-1)")
        return value * 100
