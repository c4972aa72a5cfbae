"""What every destination loader provides, and what they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..transformers import aggregate

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    from ..config import DatasetConfig
    from ..report import Output


@dataclass(frozen=True)
class LoadResult:
    """The two tables a dataset load publishes in one destination."""

    detail: Output
    aggregate: Output


class Loader(Protocol):
    """A destination: upserts a dataset's detail rows and publishes its aggregate."""

    name: str

    def load(self, dataset: DatasetConfig, detail: pd.DataFrame, run_id: str) -> LoadResult:
        """Upsert ``detail`` on the dataset's key and rebuild the aggregate table.

        ``run_id`` identifies the run in the destination's metadata.

        The aggregate is computed from the whole detail table after the upsert,
        not from this batch alone, so a period that spans several runs is
        aggregated over all of its rows.

        Raises:
            DestinationError: The destination cannot be written; it is left as
                it was before the call.
        """
        ...


def build_aggregate(detail: pd.DataFrame, dataset: DatasetConfig, decimals: int) -> pd.DataFrame:
    """The dataset's aggregate table computed from its whole detail table."""
    return aggregate(detail, dataset.aggregate, dataset.timestamp, decimals)
