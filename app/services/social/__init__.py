"""Social: follows, and with the social capability, posts, feeds and notifications."""
