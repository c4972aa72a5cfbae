"""Hand-written PySpark job: the benchmark's baseline for the generated PySpark pipeline."""

import sys

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

source, out = sys.argv[1], sys.argv[2]
CATEGORIES = [f"cat_{i:02d}" for i in range(20)]
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "8")
    .config("spark.driver.memory", "2g")
    .getOrCreate()
)
raw = spark.read.option("header", True).csv(source)
df = raw.select(
    F.col("order_id").try_cast("bigint").alias("order_id"),
    F.trim("customer_id").alias("customer_id"),
    F.try_to_timestamp("order_ts").alias("order_ts"),
    F.trim("category").alias("category"),
    F.col("quantity").try_cast("bigint").alias("quantity"),
    F.col("unit_price").try_cast("double").alias("unit_price"),
    F.trim("country").alias("country"),
)
valid = df.where(
    F.col("order_id").isNotNull()
    & F.col("customer_id").isNotNull()
    & F.col("order_ts").isNotNull()
    & F.col("category").isin(CATEGORIES)
    & F.col("quantity").between(1, 1000)
    & (F.col("unit_price") >= 0)
)
latest = Window.partitionBy("order_id").orderBy(F.col("order_ts").desc())
detail = (
    valid.withColumn("_rank", F.row_number().over(latest))
    .where("_rank = 1")
    .drop("_rank")
    .withColumn("amount", F.round(F.col("quantity") * F.col("unit_price"), 2))
    .withColumn("date", F.to_date("order_ts"))
    .cache()
)
detail.write.mode("overwrite").partitionBy("date").option("compression", "zstd").parquet(
    f"{out}/detail"
)
(
    detail.groupBy("category", F.date_trunc("day", "order_ts").alias("period"))
    .agg(
        F.count("*").alias("order_count"),
        F.round(F.sum("amount"), 2).alias("revenue"),
        F.round(F.avg("amount"), 2).alias("avg_order_value"),
    )
    .coalesce(1)
    .write.mode("overwrite")
    .option("compression", "zstd")
    .parquet(f"{out}/aggregate")
)
spark.stop()
