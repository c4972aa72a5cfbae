"""Hand-written pandas job: the benchmark's baseline for the generated pandas pipeline."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

source, out = sys.argv[1], Path(sys.argv[2])
CATEGORIES = [f"cat_{i:02d}" for i in range(20)]

raw = pd.read_csv(source, dtype="string[pyarrow]", engine="pyarrow", keep_default_na=False)
df = pd.DataFrame(
    {
        "order_id": pd.to_numeric(raw["order_id"], errors="coerce").astype("int64[pyarrow]"),
        "customer_id": raw["customer_id"].str.strip(),
        "order_ts": pd.to_datetime(
            raw["order_ts"], errors="coerce", utc=True, format="ISO8601"
        ).dt.tz_localize(None),
        "category": raw["category"].str.strip(),
        "quantity": pd.to_numeric(raw["quantity"], errors="coerce").astype("int64[pyarrow]"),
        "unit_price": pd.to_numeric(raw["unit_price"], errors="coerce").astype("float64[pyarrow]"),
        "country": raw["country"].str.strip(),
    }
)
ok = (
    df[["order_id", "customer_id", "order_ts", "category", "quantity", "unit_price"]]
    .notna()
    .all(axis=1)
    & df["category"].isin(CATEGORIES)
    & df["quantity"].between(1, 1000)
    & (df["unit_price"] >= 0)
)
valid = df[ok.fillna(False)]
detail = valid.sort_values("order_ts", kind="stable").drop_duplicates("order_id", keep="last")
product = (detail["quantity"] * detail["unit_price"]).to_numpy(dtype="float64")
detail = detail.assign(amount=np.sign(product) * np.floor(np.abs(product) * 100 + 0.5) / 100)
detail = detail.assign(date=detail["order_ts"].dt.date)
aggregate = (
    detail.groupby(["category", detail["order_ts"].dt.floor("D").rename("period")], observed=True)[
        "amount"
    ]
    .agg(order_count="count", revenue="sum", avg_order_value="mean")
    .reset_index()
)
detail.to_parquet(out / "detail", partition_cols=["date"], compression="zstd", index=False)
aggregate.to_parquet(out / "aggregate.parquet", compression="zstd", index=False)
