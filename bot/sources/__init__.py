"""Fetching and parsing feeds: http.py (aiohttp), parse.py, guard.py (URL safety)."""
