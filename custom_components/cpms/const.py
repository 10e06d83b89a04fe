"""Constants of the cpms integration."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "cpms"

CONF_PROVIDER: Final = "provider"
CONF_BASE_URL: Final = "base_url"
# Thor: where commands go, when not where reads go (its start and stop pages name another host).
CONF_COMMAND_URL: Final = "command_url"
CONF_ADVANCED: Final = "advanced"
CONF_USER_ID: Final = "user_id"
CONF_WEBHOOK_SECRET: Final = "webhook_secret"  # noqa: S105 (a key, not a secret)
CONF_REMOVE_WEBHOOK_SECRET: Final = "remove_webhook_secret"  # noqa: S105 (a key)
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
CONF_SAFETY_REFRESH: Final = "safety_refresh_minutes"
CONF_STATIONS: Final = "stations"
CONF_EXCLUDED_STATIONS: Final = "excluded_stations"
CONF_ADD_NEW_STATIONS: Final = "add_new_stations"

# Accounts with more stations than this choose which ones to add; smaller ones get them all.
HANDFUL_OF_STATIONS: Final = 5

DEFAULT_SAFETY_REFRESH_MINUTES: Final = 15
# Until a first webhook proves that push works, active sessions are read after 1, then 5, then
# every 15 minutes: eDRV asks not to poll, and webhooks that never arrive must not mean a read
# every minute for ever.
UNCONFIRMED_REFRESHES: Final = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
)
# eDRV cancels a start after 120 s without a vehicle; stops can take a final meter reading.
START_DEADLINE: Final = timedelta(seconds=150)
STOP_DEADLINE: Final = timedelta(seconds=120)
# A webhook naming an unknown station triggers at most one station listing this often.
STATION_RELIST_COOLDOWN: Final = timedelta(minutes=10)

EVENT_SESSION_STARTED: Final = f"{DOMAIN}_session_started"
EVENT_SESSION_ENDED: Final = f"{DOMAIN}_session_ended"

# The issue's id; its text (translation key) says whether nothing arrived or why it was refused.
ISSUE_WEBHOOKS_NOT_ARRIVING: Final = "webhooks_not_arriving"
ISSUE_ACCESS_DENIED: Final = "access_denied"
ISSUE_COMMANDS_REFUSED: Final = "commands_refused"
ISSUE_NEW_STATIONS: Final = "new_stations"
# Raised when eDRV deliveries fail their signature; its fix asks for the secret.
ISSUE_WEBHOOK_SECRET: Final = "wrong_webhook_secret"  # noqa: S105 (a key, not a secret)

# Markdown: in code spans, so that the `*` of a wildcard is not read as emphasis.
EDRV_WEBHOOK_EVENTS: Final = (
    "`session.*`, `chargestation.online`, `chargestation.offline`, "
    "`chargestation.connector_status.updated` and, for the current limit, "
    "`chargestation.set_power_limit.*`"
)
THOR_WEBHOOK_SECTIONS: Final = "Start charge, Stop charge, Meter Values"
