"""MongoDB documents (mongoengine), touched only by services."""
