"""Mailing the email edition: RFC 5322/2046 messages submitted over RFC 5321 SMTP, or .eml files."""

#     settings.py     SMTP settings from PRESS_SMTP_* (RFC 8314 TLS, RFC 3207 STARTTLS), retries, --rate
#     message.py      the plan, MIME building, headers, template context, summaries
#     unsubscribe.py  List-Unsubscribe URIs (RFC 2369, RFC 8058) and their tokens
#     outbox.py       one .eml file per subscriber
#     smtp.py         one SMTP session: connect, TLS, login, reuse, NOOP probe, one transaction
#     send.py         the send loop: parallel sessions, ledger, retries, throttle, progress; --test
#     progress.py     where lines and progress go (given by the caller, silent by default)

from renderer.deliver.ledger import ledger_status
from renderer.deliver.mail.message import (
    HTML_BODY_LIMIT,
    MAIL_POLICY,
    MESSAGE_SIZE_LIMIT,
    PRESS_HEADERS,
    TEST_PREFIX,
    MailPlan,
    build_message,
    check_attachment_current,
    check_postal_address,
    envelope_sender,
    first_sentence,
    message_bytes,
    plain_text,
    plan_mail,
    preheader_for,
    single_line,
    subject_for,
    verp_tag,
)
from renderer.deliver.mail.outbox import write_outbox
from renderer.deliver.mail.progress import ConsoleProgress, LineRecorder, MailProgress
from renderer.deliver.mail.send import SendSummary, send, send_test
from renderer.deliver.mail.settings import (
    DEFAULT_CONNECTIONS,
    RATE_MAX,
    RATE_MIN,
    RetryPolicy,
    SmtpSettings,
    check_connections,
    check_rate,
)
from renderer.deliver.mail.unsubscribe import unsubscribe_token, unsubscribe_uris

__all__ = [
    "DEFAULT_CONNECTIONS",
    "HTML_BODY_LIMIT",
    "MAIL_POLICY",
    "MESSAGE_SIZE_LIMIT",
    "PRESS_HEADERS",
    "RATE_MAX",
    "RATE_MIN",
    "TEST_PREFIX",
    "ConsoleProgress",
    "LineRecorder",
    "MailPlan",
    "MailProgress",
    "RetryPolicy",
    "SendSummary",
    "SmtpSettings",
    "build_message",
    "check_attachment_current",
    "check_connections",
    "check_postal_address",
    "check_rate",
    "envelope_sender",
    "first_sentence",
    "ledger_status",
    "message_bytes",
    "plain_text",
    "plan_mail",
    "preheader_for",
    "send",
    "send_test",
    "single_line",
    "subject_for",
    "unsubscribe_token",
    "unsubscribe_uris",
    "verp_tag",
    "write_outbox",
]
