"""The war room on the web: server-rendered pages (Jinja2 + HTMX polling, no SPA build step) on
top of the domains' services, in zh_CN (default) and en. Pages use the session cookie that
``SessionMiddleware`` signs; every form carries a per-session CSRF token."""
