"""One blueprint per domain: routes.py (pages), forms.py, api.py (JSON)."""
