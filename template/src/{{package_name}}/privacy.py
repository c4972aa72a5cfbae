"""Personal data (PII): the columns the schema marks ``pii: hash`` or ``pii: mask``.

Each engine's ``transformers.pii`` stage applies these rules right after
cleaning, to the value and to its raw copy kept for the quarantine, so no later
stage, the quarantine, the destinations and the logs included, sees a raw value:

* ``hash``: the keyed HMAC-SHA256 (RFC 2104) of the UTF-8 value, as 64
  lowercase hex digits. The key comes from the environment only. The same value
  and key give the same digest on every engine and in every run, so hashed
  columns still work as keys and for joins, while nobody without the key can
  recover a value or confirm a guess by hashing it.
* ``mask``: ``MASK`` followed by the last ``KEEP`` characters of the value, so
  ``C00042`` becomes ``****42``; every value gets the same mask, so the length
  is not revealed. A value of ``KEEP`` characters or fewer is kept after the mask.

Missing values stay missing.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import SecretStr

    from .config import DatasetConfig

__all__ = ["KEEP", "MASK", "PiiPolicy", "hmac_hex", "hmac_pads", "mask_value", "pii_policy"]

MASK = "****"
"""What replaces all but the last ``KEEP`` characters of a masked value."""

KEEP = 2
"""How many trailing characters of a masked value stay readable."""

_BLOCK_SIZE = 64
"""SHA-256's block size in bytes, which HMAC pads the key to."""


@dataclass(frozen=True)
class PiiPolicy:
    """The protected columns of one dataset and the HMAC key (empty when nothing is hashed)."""

    hashed: tuple[str, ...] = ()
    masked: tuple[str, ...] = ()
    key: bytes = field(default=b"", repr=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every protected column, hashed then masked."""
        return (*self.hashed, *self.masked)


def pii_policy(dataset: DatasetConfig, key: SecretStr | None) -> PiiPolicy:
    """The policy of ``dataset``'s schema, with ``key`` for the hashed columns."""
    hashed = tuple(name for name, spec in dataset.columns.items() if spec.pii == "hash")
    masked = tuple(name for name, spec in dataset.columns.items() if spec.pii == "mask")
    secret = key.get_secret_value().encode() if key is not None and hashed else b""
    return PiiPolicy(hashed=hashed, masked=masked, key=secret)


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys (``key XOR ipad``, ``key XOR opad``).

    With them, ``HMAC(key, m) = SHA256(outer || SHA256(inner || m))``: engines
    that have SHA-256 but no HMAC (DuckDB, Spark) compute it in their own SQL.
    The pads are as secret as the key.
    """
    if len(key) > _BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK_SIZE, b"\0")
    return bytes(byte ^ 0x36 for byte in padded), bytes(byte ^ 0x5C for byte in padded)


def hmac_hex(key: bytes, value: str) -> str:
    """The ``hash`` rule for one value: HMAC-SHA256 of its UTF-8 bytes, in hex."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_value(value: str) -> str:
    """The ``mask`` rule for one value: ``MASK`` and the last ``KEEP`` characters."""
    return MASK + value[-KEEP:]
