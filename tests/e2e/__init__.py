"""End-to-end: Home Assistant's real frontend in headless Chromium, against the simulator."""
