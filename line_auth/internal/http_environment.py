"""What ``requests`` would take from the environment for a call to LINE.

For every request it sends, ``requests`` looks up the proxy variables (with
``NO_PROXY``), the CA bundle variables and ``~/.netrc``: about half a
millisecond, a twentieth of a login's CPU. The environment does not change under
a running site, so the LINE client turns that lookup off (``trust_env``) and
asks here once per origin instead. ``~/.netrc`` is left out: no credentials for
LINE's hosts belong there, and none may travel to LINE by accident.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from requests.utils import get_environ_proxies

CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: proxies are chosen per origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def request_settings(url: str) -> dict[str, Any]:
    """The ``proxies`` and ``verify`` arguments ``requests`` would derive from the environment."""
    ca_bundle = next((os.environ[name] for name in CA_BUNDLE_VARIABLES if os.environ.get(name)), None)
    return {"proxies": get_environ_proxies(url), "verify": ca_bundle or True}
