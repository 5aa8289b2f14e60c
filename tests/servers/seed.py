#!/usr/bin/env python3
"""Seed sample CalDAV/CardDAV data (tests/servers/sample/) into a DAV server.

Stdlib only. Re-runnable: existing collections (MKCALENDAR/MKCOL answering 405 or 409,
or 403 + DAV:resource-must-be-null) and existing resources (PUT with If-None-Match: *
answering 412) are left alone.

Usage:
    seed.py URL USER PASSWORD [--calendar-home URL] [--addressbook-home URL]

URL is the server root (e.g. http://127.0.0.1:5232/). By default both homes are
URL/USER/ (Radicale's layout). For Xandikos pass
--calendar-home URL/user/calendars/ --addressbook-home URL/user/contacts/.

Importable: seed(url, user, password, calendar_home=None, addressbook_home=None) -> dict.
"""

import argparse
import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from xml.sax.saxutils import escape

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"

# Status codes meaning "the collection is already there" (RFC 4791/5689: 405; Radicale: 409).
# Xandikos answers 403 with a DAV:resource-must-be-null precondition body instead.
COLLECTION_EXISTS = (405, 409)


def load_collections():
    with open(SAMPLE_DIR / "collections.json", encoding="utf-8") as f:
        return json.load(f)["collections"]


def _request(method, url, auth, body=None, headers=None, timeout=30):
    """Send one request; return (status, headers, body bytes). HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", auth)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _mkcalendar_body(c):
    comps = "".join('<C:comp name="%s"/>' % n for n in c.get("components", ["VEVENT"]))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'
        ' xmlns:A="http://apple.com/ns/ical/">'
        "<D:set><D:prop>"
        "<D:displayname>%s</D:displayname>"
        "<C:calendar-description>%s</C:calendar-description>"
        "<A:calendar-color>%s</A:calendar-color>"
        "<C:supported-calendar-component-set>%s</C:supported-calendar-component-set>"
        "</D:prop></D:set></C:mkcalendar>"
        % (escape(c["displayname"]), escape(c.get("description", "")),
           escape(c.get("color", "")), comps)
    ).encode("utf-8")


def _mkcol_addressbook_body(c):
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">'
        "<D:set><D:prop>"
        "<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>"
        "<D:displayname>%s</D:displayname>"
        "<CR:addressbook-description>%s</CR:addressbook-description>"
        "</D:prop></D:set></D:mkcol>"
        % (escape(c["displayname"]), escape(c.get("description", "")))
    ).encode("utf-8")


def _home(url, user, explicit):
    if explicit:
        return explicit if explicit.endswith("/") else explicit + "/"
    return url.rstrip("/") + "/" + urllib.parse.quote(user) + "/"


def seed(url, user, password, calendar_home=None, addressbook_home=None, log=None):
    """Create the sample collections and resources. Returns a summary dict; raises RuntimeError on failure."""
    auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
    cal_home = _home(url, user, calendar_home)
    card_home = _home(url, user, addressbook_home)
    summary = {"collections_created": 0, "collections_existing": 0,
               "resources_created": 0, "resources_existing": 0, "urls": {}}

    for c in load_collections():
        if c["kind"] == "calendar":
            coll_url = cal_home + c["name"] + "/"
            method, body = "MKCALENDAR", _mkcalendar_body(c)
            ctype, ext = "text/calendar; charset=utf-8", ".ics"
        else:
            coll_url = card_home + c["name"] + "/"
            method, body = "MKCOL", _mkcol_addressbook_body(c)
            ctype, ext = "text/vcard; charset=utf-8", ".vcf"
        summary["urls"][c["name"]] = coll_url

        status, _, resp = _request(method, coll_url, auth, body,
                                   {"Content-Type": "application/xml; charset=utf-8"})
        if status in (200, 201):
            summary["collections_created"] += 1
        elif status in COLLECTION_EXISTS or (status == 403 and b"resource-must-be-null" in resp):
            summary["collections_existing"] += 1
        else:
            raise RuntimeError("%s %s -> %d: %s" % (method, coll_url, status,
                                                     resp[:500].decode("utf-8", "replace")))

        for f in sorted((SAMPLE_DIR / c["dir"]).glob("*" + ext)):
            res_url = coll_url + urllib.parse.quote(f.name)
            status, _, resp = _request("PUT", res_url, auth, f.read_bytes(),
                                       {"Content-Type": ctype, "If-None-Match": "*"})
            if status in (201, 204):
                summary["resources_created"] += 1
            elif status == 412:
                summary["resources_existing"] += 1
            else:
                raise RuntimeError("PUT %s -> %d: %s" % (res_url, status,
                                                         resp[:500].decode("utf-8", "replace")))
    if log:
        log("seed: %s: collections %d created / %d existing, resources %d created / %d existing"
            % (url, summary["collections_created"], summary["collections_existing"],
               summary["resources_created"], summary["resources_existing"]))
    return summary


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url")
    p.add_argument("user")
    p.add_argument("password")
    p.add_argument("--calendar-home")
    p.add_argument("--addressbook-home")
    a = p.parse_args(argv)
    try:
        seed(a.url, a.user, a.password, a.calendar_home, a.addressbook_home,
             log=lambda m: print(m, file=sys.stderr))
    except (RuntimeError, OSError) as e:
        print("seed: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
