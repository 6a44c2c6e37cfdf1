"""Communities: groups with roles, threads and moderation."""
