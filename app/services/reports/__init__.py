"""Reports of abuse: filed by any signed-in user, resolved by operators, outcome notified."""
