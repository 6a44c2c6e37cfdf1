"""The operator's views of the platform: audit log search and the system report."""
