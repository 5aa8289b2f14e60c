"""davkit's HttpTransport on Python's standard library, and a client on it: what the examples
in this folder share. An app with its own HTTP stack (aiohttp, httpx) implements the same one
method, `send`, and returns 3xx, 4xx and 5xx as answers: davkit follows redirects itself, so
credentials never leave their origin.

The bindings come from scripts/test-mobile.sh (bindings-mobile/build/python, or
DAVKIT_PY_BINDINGS).
"""

import asyncio
import os
import pathlib
import sys
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, os.environ.get("DAVKIT_PY_BINDINGS",
                                  str(HERE.parents[1] / "bindings-mobile" / "build" / "python")))

import davkit_mobile as dk  # noqa: E402


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # davkit follows redirects itself, so credentials never leave their origin
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class UrllibTransport(dk.HttpTransport):
    """davkit's HttpTransport on the standard library (one blocking request per thread)."""

    def __init__(self):
        self._opener = urllib.request.build_opener(_NoRedirects)

    def _send(self, request):
        headers = {h.name: h.value for h in request.headers()}
        req = urllib.request.Request(request.url(), data=request.body(), headers=headers,
                                     method=request.method())
        try:
            with self._opener.open(req, timeout=30) as r:
                status, head, body = r.status, r.getheaders(), r.read()
        except urllib.error.HTTPError as e:  # 3xx, 4xx and 5xx are answers, not failures
            status, head, body = e.code, list(e.headers.items()), e.read()
        except OSError as e:
            raise dk.DavError.Transport(detail=str(e), status=None, url=request.url(),
                                        retry_after_seconds=None, body_excerpt=None) from None
        return dk.HttpResponse(status=status, body=body, final_url=None,
                               headers=[dk.HttpHeader(name=k, value=v) for k, v in head])

    async def send(self, request):
        return await asyncio.to_thread(self._send, request)


def client(url, user, password):
    config = dk.DavConfig(server_url=url, credentials=dk.Credentials.basic(username=user,
                                                                           password=password))
    return dk.DavClient(config, UrllibTransport())
