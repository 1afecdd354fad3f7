"""Similarity buckets (being written): for now one bucket per exact signature."""

from __future__ import annotations

import hashlib

from crashsift.correlate.engine import Bucket, Correlation


def group(result: Correlation) -> list[Bucket]:
    by_sig: dict[str, list[str]] = {}
    for record in result.records:
        by_sig.setdefault(result.signatures[record.id].text, []).append(record.id)
    out = []
    for text, members in by_sig.items():
        digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8]
        out.append(Bucket(f"B-{digest}", text, members, [f"same signature: {text}"]))
    return sorted(out, key=lambda b: (-len(b.members), b.signature))
