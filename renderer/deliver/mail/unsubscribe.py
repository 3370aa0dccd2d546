"""Unsubscribe links: RFC 2369 List-Unsubscribe URIs, RFC 8058 one-click, per-subscriber tokens."""

# `{token}` in the manifest's templates is HMAC-SHA256(key=$PRESS_UNSUBSCRIBE_SECRET,
# message=lower-cased address), hex, first 32 digits. Without the variable it is SHA-256 of
# "bilingual-press-unsubscribe:" + address: stable, but anyone who knows an address can
# compute it, so set the secret in production and verify tokens with the same function
# (`unsubscribe_token`) on the unsubscribe endpoint.

from __future__ import annotations

import hashlib
import hmac
import os
import re
from urllib.parse import quote

from renderer.deliver.subscribers import has_control_characters
from renderer.errors import PressError
from renderer.model import Issue


def check_unsubscribe_templates(issue: Issue) -> None:
    mailto, url = issue.email.unsubscribe_mailto, issue.email.unsubscribe_url
    if not mailto and not url:
        raise PressError(
            "The manifest gives no unsubscribe address; bulk mail needs a List-Unsubscribe "
            "header (RFC 2369, required by Gmail and Yahoo for bulk senders).",
            file=issue.manifest,
            field="email.unsubscribe_url",
            fix='Add unsubscribe_url: "https://example.org/unsubscribe?t={token}" '
            "and/or unsubscribe_mailto under email:.",
        )
    for value, field_name, scheme in ((mailto, "email.unsubscribe_mailto", "mailto:"),
                                      (url, "email.unsubscribe_url", "https://")):  # fmt: skip
        if value is None:
            continue
        if not value.startswith(scheme) or re.search(r"[\s<>\"]", value) or has_control_characters(value):
            raise PressError(
                f"{field_name} must be one {scheme} URI without spaces or angle brackets: {value!r}.",
                file=issue.manifest,
                field=field_name,
                fix="RFC 8058 one-click unsubscribe needs an https URL; mailto needs mailto:.",
            )



def unsubscribe_uris(issue: Issue, email: str) -> list[str]:
    """The manifest's templates with {email} (percent-encoded) and {token} filled in."""
    token = unsubscribe_token(email)
    uris = []
    for template in (issue.email.unsubscribe_mailto, issue.email.unsubscribe_url):
        if template:
            # str.replace, not str.format: other braces in a URL stay as written.
            uris.append(template.replace("{email}", quote(email, safe="@")).replace("{token}", token))
    return uris


def unsubscribe_token(email: str, secret: str | None = None) -> str:
    """HMAC-SHA256 of the lower-cased address with $PRESS_UNSUBSCRIBE_SECRET (see module doc)."""
    secret = os.environ.get("PRESS_UNSUBSCRIBE_SECRET") if secret is None else secret
    address = email.strip().lower().encode("utf-8")
    if secret:
        digest = hmac.new(secret.encode("utf-8"), address, hashlib.sha256).hexdigest()
    else:
        digest = hashlib.sha256(b"bilingual-press-unsubscribe:" + address).hexdigest()
    return digest[:32]

