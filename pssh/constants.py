"""Constants shared by every client (the 1.8.0 values)."""

DEFAULT_RETRIES = 3
"""Connection and authentication attempts before a client gives up."""

RETRY_DELAY = 5
"""Seconds to wait between attempts."""
