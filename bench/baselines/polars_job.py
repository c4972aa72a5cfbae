"""Hand-written Polars job: the benchmark's baseline for the generated Polars pipeline."""

import sys
from pathlib import Path

import polars as pl

source, out = sys.argv[1], Path(sys.argv[2])
CATEGORIES = [f"cat_{i:02d}" for i in range(20)]


def half_away(expr: pl.Expr, decimals: int = 2) -> pl.Expr:
    scale = 10**decimals
    return (expr * scale).abs().add(0.5).floor().mul(expr.sign()) / scale


raw = pl.scan_csv(source, infer_schema=False)
typed = raw.select(
    pl.col("order_id").cast(pl.Int64, strict=False),
    pl.col("customer_id").str.strip_chars(),
    pl.col("order_ts").str.to_datetime(strict=False, time_zone="UTC").dt.replace_time_zone(None),
    pl.col("category").str.strip_chars(),
    pl.col("quantity").cast(pl.Int64, strict=False),
    pl.col("unit_price").cast(pl.Float64, strict=False),
    pl.col("country").str.strip_chars(),
)
valid = typed.filter(
    pl.all_horizontal(pl.col(c).is_not_null() for c in typed.collect_schema().names()[:-1])
    & pl.col("category").is_in(CATEGORIES)
    & pl.col("quantity").is_between(1, 1000)
    & (pl.col("unit_price") >= 0)
)
detail = (
    valid.sort("order_ts")
    .unique(subset=["order_id"], keep="last", maintain_order=False)
    .with_columns(
        amount=half_away(pl.col("quantity") * pl.col("unit_price")),
        date=pl.col("order_ts").dt.date(),
    )
    .collect()
)
aggregate = (
    detail.lazy()
    .group_by("category", pl.col("order_ts").dt.truncate("1d").alias("period"))
    .agg(
        pl.len().alias("order_count"),
        half_away(pl.col("amount").sum()).alias("revenue"),
        half_away(pl.col("amount").mean()).alias("avg_order_value"),
    )
    .sort("category", "period")
    .collect()
)
detail.write_parquet(out / "detail", compression="zstd", partition_by="date")
aggregate.write_parquet(out / "aggregate.parquet", compression="zstd")
print(detail.height, aggregate.height)
