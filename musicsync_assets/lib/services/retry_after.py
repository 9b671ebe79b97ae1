"""How long a 429 asks musicsync to wait, from its Retry-After header."""

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

LONGEST_WAIT_S = 86400.0  # a day: a longer (or endless) wait is a server's mistake, not a plan


def retry_after_s(value: object, default: float) -> float:
    """Seconds from a Retry-After value: delta-seconds ("120") or an HTTP-date ("Tue, 08 Dec 2026
    01:26:28 GMT"), both of which HTTP allows and proxies and CDNs in front of an API send; `default`
    when it is missing or unreadable ("inf" and "nan" included), and at most LONGEST_WAIT_S. A date
    already past is no wait."""
    if value is None:
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        try:
            when = parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            return default
        if when.tzinfo is None:  # an HTTP-date is always GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return default
    return min(max(0.0, seconds), LONGEST_WAIT_S)
