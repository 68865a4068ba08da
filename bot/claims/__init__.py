"""Claims: story packs, relevance, extraction rules and status aggregation (pure functions)."""
