"""Friendship with the site's LINE Official Account.

``status`` is the one writer of ``LineAccount.friendship``; its sources are the
login (``login``), the periodic re-check (``sync``) and LINE's webhook
(``webhook``); ``retention`` prunes what the webhook keeps.
"""
