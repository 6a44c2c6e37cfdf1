"""The web edge shared by every blueprint: HTMX rendering, auth gates, errors, headers."""
