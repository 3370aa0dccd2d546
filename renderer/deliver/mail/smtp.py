"""One SMTP session (RFC 5321): connect, TLS (RFC 8314/3207), login, reuse, NOOP, SIZE (RFC 1870)."""

# Replies: 2xx sent; 4xx temporary; 5xx to RCPT or DATA permanent for that subscriber;
# 5xx to MAIL FROM concerns the sender (every subscriber). A connection lost between DATA
# and the reply may have delivered the message (`ConnectionLost.during_data`).

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from renderer.deliver.mail.message import single_line
from renderer.deliver.mail.settings import IDLE_CHECK_SECONDS, RetryPolicy, SmtpSettings
from renderer.errors import PressError


class ConnectionLost(Exception):
    def __init__(self, error: BaseException, during_data: bool):
        super().__init__(describe_error(error))
        self.during_data = during_data


@dataclass(frozen=True)
class Outcome:
    kind: str  # "sent", "temporary", "permanent" or "sender" (5xx to MAIL FROM)
    reply: str
    connection_usable: bool = True


def transact(connection: smtplib.SMTP, sender: str, recipient: str, payload: bytes) -> Outcome:
    """One SMTP mail transaction (RFC 5321 section 3.3): MAIL, RCPT, DATA."""
    stage = "mail"
    try:
        # RFC 1870: announce the size so an oversized message is refused before DATA.
        options = [f"SIZE={len(payload)}"] if connection.has_extn("size") else []
        code, reply = connection.mail(sender, options)
        if code != 250:
            return _refused(connection, code, reply, stage)
        stage = "rcpt"
        code, reply = connection.rcpt(recipient)
        if code not in (250, 251):
            return _refused(connection, code, reply, stage)
        stage = "data"
        try:
            code, reply = connection.data(payload)
        except smtplib.SMTPDataError as error:  # DATA itself refused: no content was sent
            return _refused(connection, error.smtp_code, error.smtp_error, stage)
        if 200 <= code < 300:
            return Outcome("sent", reply_text(code, reply))
        return _refused(connection, code, reply, "after-data")
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError) as error:
        # Lost between DATA and the server's reply: the server may have the message.
        raise ConnectionLost(error, during_data=stage == "data") from None


def _refused(connection: smtplib.SMTP, code: int, reply: bytes | str, stage: str) -> Outcome:
    text = reply_text(code, reply)
    usable = code != 421  # 421: the server is closing the connection (RFC 5321 section 3.8)
    if usable and stage != "after-data":
        try:
            connection.rset()  # abandon the half-done transaction before the next one
        except (smtplib.SMTPException, OSError):
            usable = False
    if 500 <= code < 600:
        return Outcome("sender" if stage == "mail" else "permanent", text, usable)
    return Outcome("temporary", text, usable)


def reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {single_line(text)}"


def describe_error(error: BaseException) -> str:
    return single_line(f"{type(error).__name__}: {error}") if str(error) else type(error).__name__


class Session:
    """A lazily opened, reused SMTP connection that reconnects with backoff."""

    def __init__(self, settings: SmtpSettings, retry: RetryPolicy,
                 say: Callable[[str], None] = lambda line: None):
        self.settings = settings
        self.retry = retry
        self.say = say  # reports each wait before a reconnection
        self._connection: smtplib.SMTP | None = None
        self._last_used = time.monotonic()

    def connect(self) -> smtplib.SMTP:
        if self._connection is not None and time.monotonic() - self._last_used > IDLE_CHECK_SECONDS:
            self._check_alive()  # servers drop idle clients, e.g. during a long backoff wait
        failures = 0
        while self._connection is None:
            try:
                self._connection = _open_connection(self.settings)
            except PressError:
                raise
            except (OSError, smtplib.SMTPException) as error:
                failures += 1
                if failures >= self.retry.max_connection_attempts:
                    raise PressError(
                        f"Cannot connect to the SMTP server {self.settings.host}:{self.settings.port} "
                        f"({self.settings.security}) after {failures} attempts: {describe_error(error)}.",
                        fix="Check PRESS_SMTP_HOST, PRESS_SMTP_PORT and PRESS_SMTP_SECURITY. Nothing is "
                        "lost: run the same command again to send what is still queued.",
                    ) from None
                delay = self.retry.delay(failures)
                self.say(f"waiting {format_seconds(delay)} s to reconnect to {self.settings.host} "
                         f"({describe_error(error)})")
                time.sleep(delay)
        self._last_used = time.monotonic()
        return self._connection

    def _check_alive(self) -> None:
        try:
            code, _ = self._connection.noop()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self.discard()

    def discard(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.discard()


def _open_connection(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    try:
        if settings.security == "tls":
            connection = smtplib.SMTP_SSL(
                settings.host, settings.port, local_hostname=settings.helo_name,
                timeout=settings.timeout, context=context,
            )  # fmt: skip
        else:
            connection = smtplib.SMTP(
                settings.host, settings.port, local_hostname=settings.helo_name, timeout=settings.timeout
            )
    except ssl.SSLCertVerificationError as error:
        raise _certificate_error(settings, error) from None
    try:
        connection.ehlo()
        if settings.security == "starttls":
            if not connection.has_extn("starttls"):
                raise PressError(
                    f"The SMTP server {settings.host}:{settings.port} does not offer STARTTLS.",
                    fix="Use PRESS_SMTP_SECURITY=tls with its TLS port (usually 465), or check the port.",
                )
            connection.starttls(context=context)
            connection.ehlo()
        if settings.user:
            connection.login(settings.user, settings.password or "")
    except ssl.SSLCertVerificationError as error:
        connection.close()
        raise _certificate_error(settings, error) from None
    except smtplib.SMTPAuthenticationError as error:
        connection.close()
        if 400 <= error.smtp_code < 500:
            raise  # temporary: retried by the session
        raise PressError(
            f"The SMTP server refused the login of user {settings.user!r}: "
            f"{reply_text(error.smtp_code, error.smtp_error)}.",
            fix="Check PRESS_SMTP_USER and PRESS_SMTP_PASSWORD.",
        ) from None
    except smtplib.SMTPNotSupportedError:
        connection.close()
        raise PressError(
            f"The SMTP server {settings.host} does not accept a login (no AUTH offered).",
            fix="Unset PRESS_SMTP_USER and PRESS_SMTP_PASSWORD, or use the server's submission port.",
        ) from None
    except BaseException:
        connection.close()
        raise
    return connection


def _certificate_error(settings: SmtpSettings, error: ssl.SSLCertVerificationError) -> PressError:
    return PressError(
        f"The TLS certificate of {settings.host} was not accepted: {error.verify_message}.",
        fix="Check PRESS_SMTP_HOST is the name on the certificate; for a private CA set "
        "PRESS_SMTP_CA_FILE to its certificate file.",
    )



def format_seconds(seconds: float) -> str:
    """A wait for a progress line: whole seconds, one decimal below ten."""
    return f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"
