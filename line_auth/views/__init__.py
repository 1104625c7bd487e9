"""The HTTP face of line_auth: web login (``web``), app and LIFF login (``native``),
LINE's webhook (``webhook``) and the friendly error page (``failures``).

Views stay thin: they read the request and answer it; the work happens in the
modules below them, and nothing outside ``line_auth.urls`` imports from here.
"""
