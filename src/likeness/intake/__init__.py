"""Photo intake: quality measures, coaching, identity consistency, selection."""
