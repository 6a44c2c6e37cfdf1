"""Creator analytics: page views kept as daily rollups, and the figures of the analytics page."""
