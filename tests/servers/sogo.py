"""A throw-away SOGo server (Debian 12: SOGo 5.8, Alinto's groupware, CalDAV and CardDAV) on
127.0.0.1 for davkit's live tests. Stdlib only; used by servers.py.

Nothing of the system's own SOGo is started or touched: the Debian package's /etc/sogo/sogo.conf
is the same for the whole machine, so every setting this run needs is given to `sogod` as a
`-Key value` argument instead (GNUstep's argument domain, which comes before that file). The run
has its own PostgreSQL cluster (`initdb` in the run's folder, the server on 127.0.0.1 and a
free port, owned by the `postgres` user) holding SOGo's tables (SOGo makes them) and a user
table of alice, bob and carol with plain passwords, its own memcached (SOGo keeps sessions
there), and `sogod` in the foreground as the `sogo` user. DAV is at /SOGo/dav/ (a user's
principal /SOGo/dav/USER/); the server's root answers with the web interface, and there is no
/.well-known redirect without a front server.
"""

import os
import shutil
import signal
import socket
import time
from pathlib import Path

from rig import (PG_USER, RigError, Server, START_TIMEOUT, apt_install, basic_auth,
                 deb_version, free_ports, http_answers, pg_bin, postgres, run_as, sql_quote,
                 tail, users_env)

PACKAGES = ["sogo", "memcached", "postgresql"]
SOGOD = "/usr/sbin/sogod"
MEMCACHED = "/usr/bin/memcached"
RUN_USER = "sogo"
USERS = [("alice", "alice-pass"), ("bob", "bob-pass"), ("carol", "carol-pass")]
# Each kept-alive client connection holds a worker: with 2 workers a third connection waited
# unanswered (tried by hand, 2026-12-05).
WORKERS = 12


def installed():
    return (all(deb_version(p) for p in PACKAGES) and Path(SOGOD).exists()
            and Path(MEMCACHED).exists() and pg_bin() is not None)


def ensure_installed():
    """Installs the packages with apt-get when missing (no system service is started).
    Returns the seconds spent installing (0 when everything was there). Raises RigError when
    it cannot."""
    if os.geteuid() != 0:
        raise RigError("SOGo needs root (apt-get, and the server runs as %s)" % RUN_USER)
    return apt_install(PACKAGES, installed, "SOGo")


class SogoServer:
    """PostgreSQL, memcached and sogod, as one rig server."""

    name = "sogo"

    def __init__(self, tmp, port):
        self.tmp = tmp
        self.cwd = tmp / "sogo"
        self.port = port
        self.url = "http://127.0.0.1:%d/SOGo/dav/" % port
        self.log_path = self.cwd / "sogod.log"
        self.pg_port, self.mc_port = free_ports(2)
        self.parts = []  # started processes, stopped in reverse order

    def start(self):
        pg = pg_bin()
        if pg is None:
            raise RigError("SOGo: no PostgreSQL server installed")
        self.tmp.chmod(0o711)  # the postgres and sogo users look inside
        root = self.cwd
        root.mkdir()
        root.chmod(0o755)
        for d, owner in (("pg", PG_USER), ("home", RUN_USER)):
            (root / d).mkdir()
            shutil.chown(root / d, owner, owner)
        data = root / "pg" / "data"
        run_as(PG_USER, [str(pg / "initdb"), "-A", "trust", "-U", PG_USER, "-D", str(data)], root)
        pg_server = postgres("sogo (postgres)", pg, data, root / "pg", self.pg_port,
                             root / "pg" / "postgres.log", root / "pg", fast=True,
                             host="127.0.0.1")
        self._start(pg_server)
        pg_server.wait_ready(START_TIMEOUT)
        psql = [str(pg / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                str(self.pg_port)]
        run_as(PG_USER, psql + ["-U", PG_USER, "-d", "postgres", "-c",
                                "CREATE ROLE sogo LOGIN PASSWORD 'sogo'"], root)
        run_as(PG_USER, psql + ["-U", PG_USER, "-d", "postgres", "-c",
                                "CREATE DATABASE sogo OWNER sogo"], root)
        rows = ", ".join("(%s, %s, %s, %s, %s)" % (
            sql_quote(u), sql_quote(u), sql_quote(p), sql_quote(u.capitalize()),
            sql_quote("%s@example.com" % u)) for u, p in USERS)
        run_as(PG_USER, psql + ["-U", "sogo", "-d", "sogo", "-c",
                                "CREATE TABLE sogo_users (c_uid VARCHAR(64) PRIMARY KEY,"
                                " c_name VARCHAR(64), c_password VARCHAR(128), c_cn VARCHAR(128),"
                                " mail VARCHAR(128)); INSERT INTO sogo_users VALUES %s" % rows],
               root)
        memcached = Server(
            "sogo (memcached)",
            [MEMCACHED, "-l", "127.0.0.1", "-p", str(self.mc_port), "-U", "0", "-m", "16"],
            self.mc_port, root / "memcached.log", root, user=RUN_USER,
            probe=lambda: self._tcp_open(self.mc_port))
        self._start(memcached)
        memcached.wait_ready(START_TIMEOUT)
        db = "postgresql://sogo:sogo@127.0.0.1:%d/sogo" % self.pg_port
        defaults = {
            "WONoDetach": "YES",
            "WOPort": "127.0.0.1:%d" % self.port,
            "WOLogFile": "-",
            "WOPidFile": str(root / "home" / "sogod.pid"),
            "WOWorkersCount": str(WORKERS),
            "SOGoProfileURL": db + "/sogo_user_profile",
            "OCSFolderInfoURL": db + "/sogo_folder_info",
            "OCSSessionsFolderURL": db + "/sogo_sessions_folder",
            "OCSEMailAlarmsFolderURL": db + "/sogo_alarms_folder",
            "OCSStoreURL": db + "/sogo_store",
            "OCSAclURL": db + "/sogo_acl",
            "OCSCacheFolderURL": db + "/sogo_cache_folder",
            "SOGoMemcachedHost": "127.0.0.1:%d" % self.mc_port,
            "SOGoUserSources": '({type = sql; id = users; viewURL = "%s/sogo_users"; '
                               "canAuthenticate = YES; isAddressBook = NO; "
                               "userPasswordAlgorithm = plain;})" % db,
        }
        argv = [SOGOD]
        for key, value in defaults.items():
            argv += ["-" + key, value]
        # Killed at the end: it answers SIGTERM and SIGINT only after 5 s or more, and nothing of
        # a throw-away server needs saving (its workers are in its process group).
        sogod = Server("sogo", argv, self.port, self.log_path, root / "home", user=RUN_USER,
                       stop_signal=signal.SIGKILL,
                       env={"HOME": str(root / "home"), "USER": RUN_USER, "LOGNAME": RUN_USER,
                            "PATH": "/usr/sbin:/usr/bin:/bin"},
                       probe=self._dav_ready)
        self._start(sogod)

    def _start(self, server):
        self.parts.append(server)
        server.start()

    @staticmethod
    def _tcp_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    def _dav_ready(self):
        user, password = USERS[0]
        return http_answers(self.port, "/SOGo/dav/%s/" % user, "PROPFIND", {
            "Authorization": basic_auth(user, password), "Depth": "0",
            "User-Agent": "davkit-rig"}, timeout=10) == 207

    def wait_ready(self, timeout=START_TIMEOUT):
        for part in self.parts:
            part.wait_ready(timeout)
        # Each user's personal calendar and address book, made on the user's first request.
        for user, password in USERS:
            for home in ("Calendar/personal/", "Contacts/personal/"):
                path = "/SOGo/dav/%s/%s" % (user, home)
                deadline = time.monotonic() + timeout
                while True:
                    status = http_answers(self.port, path, "PROPFIND", {
                        "Authorization": basic_auth(user, password), "Depth": "0",
                        "User-Agent": "davkit-rig"}, timeout=10)
                    if status == 207:
                        break
                    if time.monotonic() > deadline:
                        raise RigError("SOGo setup: PROPFIND %s as %s answered %s, not 207\n"
                                       "sogod.log:\n%s" % (path, user, status, self.log_tail()))
                    time.sleep(0.1)

    def env(self):
        return users_env("SOGO", self.url, USERS)

    def log_tail(self, n=30):
        return tail(self.log_path, n)

    def error_logs(self):
        return [("sogo (sogod)", self.log_path),
                ("sogo (postgres)", self.cwd / "pg" / "postgres.log")]

    def exit_code(self):
        for part in self.parts:
            code = part.exit_code()
            if code is not None:
                return code
        return None

    def stop(self):
        for part in reversed(self.parts):
            part.stop()
