"""line_auth's private machinery: ID tokens, JWKS, nonces, identity, options, cache, limits.

Nothing here is public API: names and signatures may change in any release without
notice. Import what the documentation names (``line_auth.backends``,
``line_auth.tokens``, ``line_auth.models`` ...) instead.
"""
