"""The only package besides app.py that imports Chalice: request and response conversion,
the tenant route decorator, error rendering, jinja2 pages, CSRF, cookies, headers."""
