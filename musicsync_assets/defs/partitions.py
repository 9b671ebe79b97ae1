"""Every track is a partition of `tracks`, keyed by where it came from: `yt-…`, `sp-…`, `sc-…`,
`url-…`, `file-…`. The key never changes, so a track keeps its history when it is renamed."""

import dagster as dg

track_partitions = dg.DynamicPartitionsDefinition(name="tracks")
