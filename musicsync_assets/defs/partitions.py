"""Every track is a partition of `tracks`, keyed by where it came from: `yt-…`, `sp-…`, `sc-…`,
`url-…`, `file-…`. The key never changes, so a track keeps its history when it is renamed."""

import warnings

import dagster as dg

track_partitions = dg.DynamicPartitionsDefinition(name="tracks")

# Checks partitioned like their assets are a preview feature in Dagster 1.13, chosen on purpose:
# each track's result sits on its own partition. Said once here rather than on every process start.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec",
                        category=dg.PreviewWarning)
