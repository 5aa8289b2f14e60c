"""A throw-away DAViCal (Debian 12: DAViCal 1.1.12, PostgreSQL 15, Apache 2.4 + mod_php 8.2)
on 127.0.0.1 for davkit's live tests. Stdlib only; used by servers.py.

Nothing of the system's own services is started or touched: the rig runs a private
PostgreSQL cluster (socket only, in the run's temporary folder) and an Apache with its own
config file (`apache2 -f FILE -DFOREGROUND`), both children of the rig, stopped by their PIDs.
DAViCal reads its config from /etc/davical/<SERVER_NAME>-conf.php; each run gets Apache's
ServerName `davkit-PORT`, so the one file it adds there is a symlink
/etc/davical/davkit-PORT-conf.php into its temporary folder (removed on stop), and runs on
different ports never share a config.

The database schema (initdb + DAViCal's create-database.sh, about 6 s) is built once per
DAViCal and PostgreSQL version into TEMPLATE_ROOT and copied for each run (about 0.25 s).
"""

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from rig import (PG_USER, RigError, Server, START_TIMEOUT, apt_install, basic_auth,
                 deb_version, http_answers, log, pg_bin, postgres, run_as, sql_quote, tail,
                 users_env)

PACKAGES = ["davical", "postgresql", "apache2", "libapache2-mod-php"]
HTDOCS = Path("/usr/share/davical/htdocs")
CREATE_DB = Path("/usr/share/davical/dba/create-database.sh")
APACHE = "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
CONF_DIR = Path("/etc/davical")
TEMPLATE_ROOT = Path("/var/tmp/davkit-davical")
APACHE_USER = "www-data"
DB_NAME = "davical"

# (username, password, full name, email). The email becomes the user's
# calendar-user-address-set (mailto:), which implicit scheduling matches ATTENDEEs against.
USERS = [
    ("alice", "alice-pass", "Alice", "alice@example.com"),
    ("bob", "bob-pass", "Bob", "bob@example.com"),
    ("carol", "carol-pass", "Carol", "carol@example.com"),
]
CALENDAR = "calendar"  # /caldav.php/USER/calendar/
ADDRESSBOOK = "addresses"  # /caldav.php/USER/addresses/


def _php_module():
    found = sorted(APACHE_MODULES.glob("libphp*.so"))
    return found[-1] if found else None


def installed():
    return (all(deb_version(p) for p in PACKAGES) and pg_bin() is not None
            and _php_module() is not None and (HTDOCS / "caldav.php").exists()
            and CREATE_DB.exists() and os.path.exists(APACHE))


class _Lock:
    """An exclusive flock on TEMPLATE_ROOT/lock (serialises the template builds of concurrent
    rigs)."""

    def __enter__(self):
        TEMPLATE_ROOT.mkdir(parents=True, exist_ok=True)
        self.f = open(TEMPLATE_ROOT / "lock", "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.f.close()


def ensure_installed():
    """Installs the packages with apt-get when missing. Returns the seconds spent installing
    (0 when everything was there). Raises RigError when it cannot."""
    if os.geteuid() != 0:
        raise RigError("DAViCal needs root (apt-get, /etc/davical, PostgreSQL run as %s)"
                       % PG_USER)
    return apt_install(PACKAGES, installed, "DAViCal")


def _as_postgres(argv, cwd, env=None, check=True):
    return run_as(PG_USER, argv, cwd, env, check)


def _mkdir(path, owner=None, mode=0o711):
    path.mkdir(mode=mode)
    path.chmod(mode)  # not filtered by the umask
    if owner:
        shutil.chown(path, owner, owner)


def template_dir():
    pg = pg_bin()
    return TEMPLATE_ROOT / ("davical-%s-pg%s" % (deb_version("davical"), pg.parent.name))


def ensure_template():
    """The initialised PostgreSQL cluster with DAViCal's schema, built once (under the lock)
    and reused by every run. Returns its data folder."""
    final = template_dir()
    if (final / "ready").exists():
        return final / "pg"
    with _Lock():
        if (final / "ready").exists():
            return final / "pg"
        t0 = time.monotonic()
        bin_dir = pg_bin()
        work = Path(tempfile.mkdtemp(prefix="build-", dir=TEMPLATE_ROOT))
        try:
            work.chmod(0o711)
            data, sock = work / "pg", work / "sock"
            _mkdir(data, PG_USER, 0o700)
            _mkdir(sock, PG_USER, 0o755)
            _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-E", "UTF8",
                          "--locale", "C.UTF-8", "-U", PG_USER], cwd=work)
            port = 5432  # the socket lives in `sock`: no clash with any other cluster
            pg = postgres("davical-template-postgres", bin_dir, data, sock, port,
                          work / "postgres.log", work)
            pg.start()
            try:
                pg.wait_ready(START_TIMEOUT)
                env = {**os.environ, "PSQLOPTS": "-h %s -p %d" % (sock, port),
                       "DBAOPTS": "--dbhost %s --dbport %d" % (sock, port),
                       "TMPDIR": "/tmp"}
                out = _as_postgres(["sh", str(CREATE_DB), DB_NAME, "unused-admin-pw"],
                                   cwd=work, env=env)
                check = _as_postgres([str(bin_dir / "psql"), "-qXAt", "-h", str(sock), "-p",
                                      str(port), "-c", "SELECT count(*) FROM usr", DB_NAME],
                                     cwd=work, check=False)
                if check.strip() != "1":
                    raise RigError("DAViCal's create-database.sh did not create the schema:\n"
                                   "%s\n%s" % (out[-3000:], check[-500:]))
            finally:
                pg.stop()
            if pg.proc.returncode != 0:
                raise RigError("the template PostgreSQL did not stop cleanly:\n%s"
                               % pg.log_tail())
            shutil.rmtree(sock)
            (work / "ready").write_text("built in %.1f s\n" % (time.monotonic() - t0))
            if final.exists():
                shutil.rmtree(final)  # a half-built leftover without `ready`
            os.rename(work, final)
            log("DAViCal database template built in %.1f s (%s)"
                % (time.monotonic() - t0, final))
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return final / "pg"


def users_sql():
    rows = ",\n".join(
        " (%d, TRUE, current_date, current_date, %s, %s, %s, %s)"
        % (1001 + i, sql_quote(u), sql_quote("**" + pw), sql_quote(full), sql_quote(mail))
        for i, (u, pw, full, mail) in enumerate(USERS))
    # Default privileges as DAViCal's own default ($c->default_privileges): others may see
    # free-busy and deliver scheduling messages to the user's inbox.
    return (
        "INSERT INTO usr (user_no, active, email_ok, updated, username, password, fullname,"
        " email) VALUES\n%s;\n"
        "INSERT INTO principal (type_id, user_no, displayname, default_privileges)\n"
        " SELECT 1, user_no, fullname,"
        " privilege_to_bits(ARRAY['read-free-busy','schedule-deliver'])\n"
        " FROM usr WHERE user_no > 1000;\n" % rows)


MKCALENDAR_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
    "<D:displayname>%s</D:displayname></D:prop></D:set></C:mkcalendar>")
MKCOL_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>'
    "<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>"
    "<D:displayname>%s</D:displayname></D:prop></D:set></D:mkcol>")
PROPFIND_BODY = ('<?xml version="1.0" encoding="utf-8"?>\n'
                 '<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>')


class DavicalServer:
    """DAViCal = a private PostgreSQL + an Apache running DAViCal's PHP, as one rig server."""

    name = "davical"

    def __init__(self, tmp, http_port, pg_port):
        self.tmp = tmp
        self.cwd = tmp / "davical"
        self.port = http_port
        self.pg_port = pg_port
        self.url = "http://127.0.0.1:%d/caldav.php/" % http_port
        self.log_path = self.cwd / "error.log"  # Apache's error log: PHP and DAViCal
        self.conf_link = CONF_DIR / ("davkit-%d-conf.php" % http_port)
        self.pg = None
        self.httpd = None

    def start(self):
        template = ensure_template()
        root = self.cwd
        self.tmp.chmod(0o711)  # PostgreSQL (postgres) and PHP (www-data) look inside
        _mkdir(root)
        sock = root / "sock"
        _mkdir(sock, PG_USER, 0o755)
        subprocess.run(["cp", "-a", str(template), str(root / "pg")], check=True)
        self.pg = postgres("davical-postgres", pg_bin(), root / "pg", sock, self.pg_port,
                           root / "postgres.log", root, fast=True)
        self.pg.start()
        self.pg.wait_ready(START_TIMEOUT)
        (root / "users.sql").write_text(users_sql())
        _as_postgres([str(pg_bin() / "psql"), "-qX", "-v", "ON_ERROR_STOP=1", "-h", str(sock),
                      "-p", str(self.pg_port), "-f", str(root / "users.sql"), DB_NAME], cwd=root)

        conf = root / "davical-conf.php"
        conf.write_text(
            "<?php\n"
            "// davkit test rig (tests/servers/davical.py); this run only.\n"
            "$_SERVER['SERVER_NAME'] = '127.0.0.1';\n"
            "// URLs DAViCal writes (the well-known redirect) use the port the client asked,\n"
            "// as with UseCanonicalName Off: through a proxy (tests/servers/shaper.py), the proxy's.\n"
            "if (isset($_SERVER['HTTP_HOST'])"
            " && preg_match('/:(\\d+)$/', $_SERVER['HTTP_HOST'], $m)) {\n"
            "  $_SERVER['SERVER_PORT'] = $m[1];\n"
            "}\n"
            "$c->domain_name = '127.0.0.1';\n"
            "$c->system_name = 'davkit test DAViCal';\n"
            "$c->admin_email = 'admin@example.com';\n"
            "$c->pg_connect[] = 'host=%s port=%d dbname=%s user=davical_app';\n"
            % (sock, self.pg_port, DB_NAME))
        conf.chmod(0o644)
        for old in CONF_DIR.glob("davkit-*-conf.php"):
            if old.is_symlink() and not old.exists():
                old.unlink(missing_ok=True)  # left by a rig that was killed with -9
        tmp_link = CONF_DIR / (".davkit-%d-%d" % (self.port, os.getpid()))
        os.symlink(conf, tmp_link)
        os.replace(tmp_link, self.conf_link)

        mods = APACHE_MODULES
        httpd_conf = root / "httpd.conf"
        httpd_conf.write_text(
            'ServerRoot "%(root)s"\n'
            'DefaultRuntimeDir "%(root)s"\n'
            "ServerName davkit-%(port)d:%(port)d\n"
            "UseCanonicalName On\n"
            'PidFile "%(root)s/httpd.pid"\n'
            'ErrorLog "%(root)s/error.log"\n'
            "LogLevel warn\n"
            "Listen 127.0.0.1:%(port)d\n"
            "User %(user)s\n"
            "Group %(user)s\n"
            "LoadModule mpm_prefork_module %(mods)s/mod_mpm_prefork.so\n"
            "LoadModule authz_core_module %(mods)s/mod_authz_core.so\n"
            "LoadModule rewrite_module %(mods)s/mod_rewrite.so\n"
            "LoadModule php_module %(php)s\n"
            "StartServers 4\n"
            "MinSpareServers 2\n"
            "MaxSpareServers 10\n"
            "MaxRequestWorkers 20\n"
            "KeepAlive On\n"
            "MaxKeepAliveRequests 0\n"
            "KeepAliveTimeout 15\n"
            "DocumentRoot %(htdocs)s\n"
            "<Directory %(htdocs)s>\n"
            "  Require all granted\n"
            "  AllowOverride None\n"
            "</Directory>\n"
            '<FilesMatch "\\.php$">\n'
            "  SetHandler application/x-httpd-php\n"
            "</FilesMatch>\n"
            "AcceptPathInfo On\n"
            "RewriteEngine On\n"
            "RewriteRule ^/\\.well-known/(.*)$ /caldav.php/.well-known/$1 [NC,PT]\n"
            "php_admin_flag display_errors off\n"
            % {"root": root, "port": self.port, "user": APACHE_USER, "mods": mods,
               "php": _php_module(), "htdocs": HTDOCS})
        alice = basic_auth(USERS[0][0], USERS[0][1])
        self.httpd = Server(
            "davical-apache", [APACHE, "-f", str(httpd_conf), "-DFOREGROUND"], self.port,
            root / "apache.log", root,
            probe=lambda: http_answers(self.port, "/caldav.php/", "OPTIONS",
                                       {"Authorization": alice,
                                        "User-Agent": "davkit-rig"}) == 200)
        self.httpd.start()

    def _request(self, method, path, user, password, body=None, headers=None):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            h = {"Authorization": basic_auth(user, password), "User-Agent": "davkit-rig"}
            if body is not None:
                h["Content-Type"] = "application/xml; charset=utf-8"
            h.update(headers or {})
            conn.request(method, path, body=body.encode() if body else None, headers=h)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def wait_ready(self, timeout=START_TIMEOUT):
        self.httpd.wait_ready(timeout)
        # Each user's calendar and address book (DAViCal's internal auth does not create
        # them); touching the scheduling inbox and outbox creates those.
        for user, password, full, _ in USERS:
            home = "/caldav.php/%s/" % user
            steps = [("MKCALENDAR", home + CALENDAR + "/", MKCALENDAR_BODY % full, None, 201),
                     ("MKCOL", home + ADDRESSBOOK + "/", MKCOL_BODY % full, None, 201),
                     ("PROPFIND", home + ".in/", PROPFIND_BODY, {"Depth": "0"}, 207),
                     ("PROPFIND", home + ".out/", PROPFIND_BODY, {"Depth": "0"}, 207)]
            for method, path, body, headers, want in steps:
                status, resp = self._request(method, path, user, password, body, headers)
                if status != want:
                    raise RigError("DAViCal setup: %s %s as %s answered %d, not %d: %s\n"
                                   "Error log tail:\n%s" % (
                                       method, path, user, status, want,
                                       resp[:300].decode("utf-8", "replace"), self.log_tail()))

    def env(self):
        env = users_env("DAVICAL", self.url, [(u, p) for u, p, _, _ in USERS])
        for i, (_, _, _, mail) in enumerate(USERS):
            env["DAVKIT_DAVICAL_EMAIL" + ("" if i == 0 else str(i + 1))] = mail
        return env

    def log_tail(self, n=30):
        return tail(self.log_path, n)

    def error_logs(self):
        return [("davical (Apache/PHP)", self.log_path),
                ("davical (Apache stdout)", self.cwd / "apache.log"),
                ("davical (PostgreSQL)", self.cwd / "postgres.log")]

    def exit_code(self):
        for s in (self.httpd, self.pg):
            if s is not None and s.exit_code() is not None:
                return s.exit_code()
        return None

    def stop(self):
        try:
            if self.httpd is not None:
                self.httpd.stop()
            if self.pg is not None:
                self.pg.stop()
        finally:
            try:
                if os.path.realpath(self.conf_link).startswith(str(self.cwd)):
                    self.conf_link.unlink()
            except OSError:
                pass
