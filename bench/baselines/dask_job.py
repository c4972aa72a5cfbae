"""Hand-written Dask job: the benchmark's baseline for the generated Dask pipeline."""

import sys

import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.distributed import Client, LocalCluster

CATEGORIES = [f"cat_{i:02d}" for i in range(20)]


def typed(part: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": pd.to_numeric(part["order_id"], errors="coerce").astype("Int64"),
            "customer_id": part["customer_id"].str.strip(),
            "order_ts": pd.to_datetime(
                part["order_ts"], errors="coerce", utc=True, format="ISO8601"
            ).dt.tz_localize(None),
            "category": part["category"].str.strip(),
            "quantity": pd.to_numeric(part["quantity"], errors="coerce").astype("Int64"),
            "unit_price": pd.to_numeric(part["unit_price"], errors="coerce"),
            "country": part["country"].str.strip(),
        }
    )


if __name__ == "__main__":
    source, out = sys.argv[1], sys.argv[2]
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        Client(cluster),
    ):
        raw = dd.read_csv(source, dtype=str, keep_default_na=False, blocksize="64MB")
        df = raw.map_partitions(typed)
        ok = (
            df[
                ["order_id", "customer_id", "order_ts", "category", "quantity", "unit_price"]
            ].map_partitions(lambda p: p.notna().all(axis=1))
            & df["category"].isin(CATEGORIES)
            & (df["quantity"] >= 1)
            & (df["quantity"] <= 1000)
            & (df["unit_price"] >= 0)
        )
        valid = df[ok.fillna(False)]
        detail = valid.shuffle("order_id").map_partitions(
            lambda p: p.sort_values("order_ts", kind="stable").drop_duplicates(
                "order_id", keep="last"
            )
        )
        product = detail["quantity"].astype("float64") * detail["unit_price"]
        detail = detail.assign(
            amount=product.map_partitions(
                lambda s: np.sign(s) * np.floor(np.abs(s) * 100 + 0.5) / 100
            ),
            date=detail["order_ts"].dt.strftime("%Y-%m-%d"),
        )
        detail = detail.persist()
        aggregate = (
            detail.assign(period=detail["order_ts"].dt.floor("D"))
            .groupby(["category", "period"])["amount"]
            .agg(["count", "sum", "mean"])
            .compute()
        )
        detail.to_parquet(
            f"{out}/detail", partition_on=["date"], compression="zstd", write_index=False
        )
        aggregate.reset_index().to_parquet(
            f"{out}/aggregate.parquet", compression="zstd", index=False
        )
