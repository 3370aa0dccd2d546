"""Verify stage: read finished PDFs back and judge them (PDF bytes -> findings).

``preflight`` checks a print PDF against PDF/X-4 (ISO 15930-7) and print-shop
rules, or an email PDF against the lighter screen rules; see
renderer.verify.preflight for the rules and the texts they follow.
"""

from __future__ import annotations

from renderer.verify.preflight import Check, PreflightReport, preflight

__all__ = ["Check", "PreflightReport", "preflight"]
