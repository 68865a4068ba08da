"""The exception tree of claimwatch.

    ClaimwatchError
     ├── UserError          safe to show in chat as it is (bad argument, unknown source ...)
     │    └── PermissionDenied
     ├── ConfigError        settings are invalid; start-up stops with one message
     ├── SourceError        a source could not be fetched or parsed; stored on the source
     │    ├── FetchError
     │    ├── UnsafeURLError  (also a UserError: the URL is refused by the guard)
     │    └── ParseError
     └── LedgerError        storage failed; wraps the driver's error

Only the standard library is imported here.
"""


class ClaimwatchError(Exception):
    """Base of every error claimwatch raises on purpose."""


class UserError(ClaimwatchError):
    """An error whose message is written for the person who typed the command."""


class PermissionDenied(UserError):
    """The caller may not run this command."""


class ConfigError(ClaimwatchError):
    """Settings are invalid. The message lists every problem."""


class SourceError(ClaimwatchError):
    """A source failed. The message is short and is stored on the source."""


class FetchError(SourceError):
    """The HTTP exchange failed: timeout, status, size cap, redirects, network."""


class UnsafeURLError(FetchError, UserError):
    """The URL is refused by the guard (scheme, private address, credentials)."""


class ParseError(SourceError):
    """The body is not a feed we can read."""


class LedgerError(ClaimwatchError):
    """The ledger could not complete an operation."""


class DeliveryError(ClaimwatchError):
    """A platform did not take an alert. ``retry_after`` is the platform's own hint
    (HTTP 429 Retry-After), in seconds; ``permanent`` means retrying cannot help
    (the channel is gone, the bot was removed)."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
