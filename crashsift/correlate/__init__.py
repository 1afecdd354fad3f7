"""Correlation of many crashes: normalised frames, signatures, similarity buckets, the graph,
recurring code paths and shared structures (see `crashsift.correlate.engine`)."""
