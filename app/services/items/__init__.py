"""The marketplace: items of four kinds, their content and previews, access, browsing,
search, reviews, favorites and collections."""

from app.services.items.loading import get_item_for_edit, get_item_or_404

__all__ = ["get_item_for_edit", "get_item_or_404"]
