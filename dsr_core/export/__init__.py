"""The export bundle: one zip per request with the data, a report for people and a manifest.

>>> write_bundle(path, request, systems, recipients, BundleOptions(password="..."))

See :func:`write_bundle` for the layout and the guarantees (streaming, owner-only, atomic).
"""

from __future__ import annotations

from .bundle import write_bundle
from .types import (
    BundleError,
    BundleFile,
    BundleOptions,
    BundleRequest,
    BundleResult,
    Controller,
    ProcessingInfo,
    Recipient,
    SystemSection,
)
from .values import MASK

__all__ = [
    "MASK",
    "BundleError",
    "BundleFile",
    "BundleOptions",
    "BundleRequest",
    "BundleResult",
    "Controller",
    "ProcessingInfo",
    "Recipient",
    "SystemSection",
    "write_bundle",
]
