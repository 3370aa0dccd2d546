"""SMTP settings from the environment (RFC 8314 implicit TLS, RFC 3207 STARTTLS), retries, --rate."""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from renderer.errors import PressError

IDLE_CHECK_SECONDS = 20.0  # a connection idle this long is probed with NOOP before reuse
SECURITY_MODES = ("tls", "starttls", "none")
DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to submit mail. Built from the environment, never from files."""

    host: str
    port: int
    security: str = "tls"  # "tls" (implicit, RFC 8314), "starttls" (RFC 3207) or "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None  # extra trusted CA (a private relay); system CAs otherwise
    timeout: float = 60.0
    helo_name: str = field(default_factory=socket.gethostname)  # no DNS lookup, unlike getfqdn

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read PRESS_SMTP_HOST, _PORT, _SECURITY, _USER, _PASSWORD (and _CA_FILE)."""
        env = os.environ if environ is None else environ
        host = env.get("PRESS_SMTP_HOST", "").strip()
        if not host:
            raise PressError(
                "No SMTP server configured: the environment variable PRESS_SMTP_HOST is not set.",
                fix="Export PRESS_SMTP_HOST (and PRESS_SMTP_PORT, PRESS_SMTP_SECURITY, "
                "PRESS_SMTP_USER, PRESS_SMTP_PASSWORD) before running --send. Credentials are "
                "read from the environment only, never from files or arguments.",
            )
        security = env.get("PRESS_SMTP_SECURITY", "tls").strip().lower() or "tls"
        if security not in SECURITY_MODES:
            raise PressError(
                f"PRESS_SMTP_SECURITY is {security!r}.",
                fix="Use tls (implicit TLS, port 465), starttls (port 587) or none.",
            )
        port = _port_from_env(env.get("PRESS_SMTP_PORT", ""), security)
        user = env.get("PRESS_SMTP_USER") or None
        password = env.get("PRESS_SMTP_PASSWORD") or None
        if bool(user) != bool(password):
            raise PressError(
                "Only one of PRESS_SMTP_USER and PRESS_SMTP_PASSWORD is set.",
                fix="Set both to log in to the SMTP server, or neither for a relay without login.",
            )
        if user and security == "none":
            raise PressError(
                "Refusing to send the SMTP password over an unencrypted connection "
                "(PRESS_SMTP_SECURITY=none with PRESS_SMTP_USER set).",
                fix="Use PRESS_SMTP_SECURITY=tls or starttls.",
            )
        ca_file = env.get("PRESS_SMTP_CA_FILE") or None
        return cls(host, port, security, user, password, Path(ca_file) if ca_file else None)


def _port_from_env(value: str, security: str) -> int:
    if not value.strip():
        return DEFAULT_PORTS[security]
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise PressError(f"PRESS_SMTP_PORT is {value!r}.", fix="Use a port number such as 465 or 587.")
    return int(value)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff. The defaults outlast common greylisting (about 5 minutes)."""

    max_attempts: int = 5  # per subscriber and run, for 4xx replies
    base_delay: float = 30.0  # seconds; doubled after each failure
    max_delay: float = 300.0
    max_connection_attempts: int = 5  # consecutive connection failures before giving up

    def delay(self, failures: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** max(0, failures - 1))



# --rate: messages a minute. Below the minimum the pause between two messages would be
# over ten minutes (an SMTP session times out); above the maximum it is no limit at all.
RATE_MIN = 0.1
RATE_MAX = 60_000.0


def check_rate(rate_per_minute: float | None) -> float | None:
    """The --rate value if usable (None: no limit), else a PressError (exit 2)."""
    if rate_per_minute is None:
        return None
    if not (isinstance(rate_per_minute, int | float) and math.isfinite(rate_per_minute)
            and RATE_MIN <= rate_per_minute <= RATE_MAX):
        raise PressError(
            f"--rate is {rate_per_minute!r}: it must be a number of messages a minute "
            f"from {RATE_MIN:g} to {RATE_MAX:g}.",
            fix="Leave --rate out to send as fast as the server accepts, or give e.g. --rate 60.",
        )
    return float(rate_per_minute)


# --connections: SMTP sessions used in parallel, each reused for many messages. Four keep a
# local relay busy without looking like a flood to a provider's submission server.
DEFAULT_CONNECTIONS = 4
MAX_CONNECTIONS = 32


def check_connections(connections: int) -> int:
    if not (isinstance(connections, int) and 1 <= connections <= MAX_CONNECTIONS):
        raise PressError(
            f"--connections is {connections!r}: it must be a whole number from 1 to {MAX_CONNECTIONS}.",
            fix=f"Leave it out for {DEFAULT_CONNECTIONS}, or ask the SMTP server's operator how many "
            "parallel sessions it accepts.",
        )
    return connections
