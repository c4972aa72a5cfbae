"""Hand-written DuckDB job: the benchmark's baseline for the generated DuckDB pipeline."""

import sys

import duckdb

source, out = sys.argv[1], sys.argv[2]
CATEGORIES = ", ".join(f"'cat_{i:02d}'" for i in range(20))
con = duckdb.connect(config={"memory_limit": sys.argv[3] if len(sys.argv) > 3 else "1GB"})
con.execute(f"""
CREATE VIEW typed AS
SELECT TRY_CAST(order_id AS BIGINT) AS order_id,
       trim(customer_id) AS customer_id,
       TRY_CAST(TRY_CAST(order_ts AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS order_ts,
       trim(category) AS category,
       TRY_CAST(quantity AS BIGINT) AS quantity,
       TRY_CAST(unit_price AS DOUBLE) AS unit_price,
       trim(country) AS country
FROM read_csv('{source}', all_varchar = true, header = true);
CREATE VIEW detail AS
SELECT *, round(quantity * unit_price, 2) AS amount, CAST(order_ts AS DATE) AS date
FROM typed
WHERE order_id IS NOT NULL AND customer_id IS NOT NULL AND order_ts IS NOT NULL
  AND category IN ({CATEGORIES}) AND quantity BETWEEN 1 AND 1000 AND unit_price >= 0
QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY order_ts DESC) = 1;
""")
con.execute(
    f"COPY detail TO '{out}/detail' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date))"
)
con.execute(f"""
COPY (SELECT category, date_trunc('day', order_ts) AS period, count(*) AS order_count,
             round(sum(amount), 2) AS revenue, round(avg(amount), 2) AS avg_order_value
      FROM read_parquet('{out}/detail/*/*.parquet', hive_partitioning = true)
      GROUP BY ALL ORDER BY ALL)
TO '{out}/aggregate.parquet' (FORMAT parquet, COMPRESSION zstd)
""")
