"""Names of the bookkeeping columns the stages add next to the declared columns.

They start with ``_`` so that they never clash with declared columns, whose
names must start with a letter.
"""

ROW_NUMBER = "_row_number"
"""1-based number of the record in its source file (for CSV: the header is record 0)."""

SOURCE = "_source"
"""The source file the record came from, as matched by the configured path or glob."""

RULE = "_rule"
"""The first validation rule a quarantined row failed, such as ``type:quantity``."""

REASON = "_reason"
"""A readable explanation of ``_rule``, such as ``quantity: 'abc' is not a valid int64``."""

RUN_ID = "_run_id"
"""The run that quarantined the row."""

RAW_PREFIX = "_raw_"
"""Prefix of the copies of the raw source strings kept for the quarantine."""

TYPED_PREFIX = "_typed_"
"""Prefix of the parsed values while validation still needs the strings next to them."""


def raw_column(name: str) -> str:
    """The name of the raw copy of column ``name``."""
    return f"{RAW_PREFIX}{name}"


def typed_column(name: str) -> str:
    """The name of the parsed value of column ``name`` during validation."""
    return f"{TYPED_PREFIX}{name}"
