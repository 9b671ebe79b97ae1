"""How long a 429 asks musicsync to wait, from its Retry-After header."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after_s(value: object, default: float) -> float:
    """Seconds from a Retry-After value: delta-seconds ("120") or an HTTP-date ("Tue, 08 Dec 2026
    01:26:28 GMT"), both of which HTTP allows and proxies and CDNs in front of an API send; `default`
    when it is missing or unreadable. A date already past is no wait."""
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return default
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
