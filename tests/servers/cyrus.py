"""A throw-away Cyrus IMAP server (Debian 12: Cyrus 3.6.1 and its CalDAV/CardDAV module, the
server behind Fastmail) on 127.0.0.1 for davkit's live tests. Stdlib only; used by servers.py.

Nothing of the system's own Cyrus is started or touched: the rig writes its own imapd.conf and
cyrus.conf into the run's temporary folder (databases, spool, sockets, locks and the SASL
password database too) and runs Cyrus's master (`cyrmaster -D`, a child of the rig, as the
`cyrus` user) with them. Every service command names that imapd.conf with `-C`: the master
does not hand its own `-C` to the services it starts, and a service without one reads
/etc/imapd.conf.

The master runs two services: httpd (CalDAV and CardDAV) on 127.0.0.1:PORT, the only TCP
listener, and lmtpd on a Unix socket in the run's folder. httpd creates a user's default
calendar and address book on their first request, but only for a user who has a mailbox: one
message delivered to each user (alice, bob, carol) through lmtpd (`autocreate_post`) creates it.

Cyrus logs only through syslog(3); where the machine has no syslog socket its messages are
lost, and the master's own output (start-up errors) is in the run's master.log.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

from rig import (RigError, Server, START_TIMEOUT, apt_install, basic_auth, deb_version,
                 http_answers, tail, users_env)

PACKAGES = ["cyrus-imapd", "cyrus-caldav", "sasl2-bin"]
MASTER = "/usr/sbin/cyrmaster"
BIN = Path("/usr/lib/cyrus/bin")
SASLPASSWD = "/usr/sbin/saslpasswd2"
RUN_USER = "cyrus"
RUN_GROUP = "mail"
# Cyrus's SASL realm: its servername.
REALM = "localhost"

# carol is in no test's meetings: the network benchmark's events name alice as organizer and
# bob as attendee, which Cyrus would schedule in their calendars.
USERS = [("alice", "alice-pass"), ("bob", "bob-pass"), ("carol", "carol-pass")]


def installed():
    return (all(deb_version(p) for p in PACKAGES) and os.path.exists(MASTER)
            and (BIN / "httpd").exists() and (BIN / "deliver").exists()
            and os.path.exists(SASLPASSWD))


def ensure_installed():
    """Installs the packages with apt-get when missing (the system's Cyrus service is not
    started). Returns the seconds spent installing (0 when everything was there). Raises
    RigError when it cannot."""
    if os.geteuid() != 0:
        raise RigError("Cyrus needs root (apt-get, and the server runs as %s)" % RUN_USER)
    return apt_install(PACKAGES, installed, "Cyrus")


def _propfind_status(port, path, user, password):
    """The status of a Depth 0 PROPFIND as `user`, or None; its first one for a user makes
    that user's default collections, hence the longer timeout."""
    return http_answers(port, path, "PROPFIND", {
        "Authorization": basic_auth(user, password), "Depth": "0",
        "User-Agent": "davkit-rig"}, timeout=10)


class CyrusServer:
    """Cyrus's master with httpd (CalDAV, CardDAV) and lmtpd, as one rig server."""

    name = "cyrus"

    def __init__(self, tmp, port):
        self.tmp = tmp
        self.cwd = tmp / "cyrus"
        self.port = port
        self.url = "http://127.0.0.1:%d/" % port
        self.log_path = self.cwd / "master.log"
        self.conf = self.cwd / "imapd.conf"
        self.lmtp = self.cwd / "conf" / "socket" / "lmtp"
        self.master = None

    def start(self):
        root = self.cwd
        self.tmp.chmod(0o711)  # the cyrus user looks inside
        for d in ("conf/db", "conf/socket", "conf/log", "spool", "proc", "lock", "sieve"):
            (root / d).mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            "# davkit test rig (tests/servers/cyrus.py); this run only.\n"
            "configdirectory: %(root)s/conf\n"
            "defaultpartition: default\n"
            "partition-default: %(root)s/spool\n"
            "proc_path: %(root)s/proc\n"
            "mboxname_lockpath: %(root)s/lock\n"
            "lmtpsocket: %(root)s/conf/socket/lmtp\n"
            "idlesocket: %(root)s/conf/socket/idle\n"
            "notifysocket: %(root)s/conf/socket/notify\n"
            "sievedir: %(root)s/sieve\n"
            "servername: %(realm)s\n"
            "admins: cyrus\n"
            "allowplaintext: yes\n"
            "sasl_pwcheck_method: auxprop\n"
            "sasl_auxprop_plugin: sasldb\n"
            "sasl_sasldb_path: %(root)s/sasldb2\n"
            "sasl_mech_list: PLAIN LOGIN\n"
            "httpmodules: caldav carddav\n"
            "caldav_allowscheduling: on\n"
            "caldav_create_default: yes\n"
            "caldav_create_sched: yes\n"
            "carddav_create_default: yes\n"
            "autocreate_quota: 0\n"
            "autocreate_post: yes\n"
            "defaultdomain: example.com\n"
            % {"root": root, "realm": REALM})
        master_conf = root / "cyrus.conf"
        master_conf.write_text(
            "START {\n"
            '  recover cmd="%(bin)s/ctl_cyrusdb -C %(conf)s -r"\n'
            "}\n"
            "SERVICES {\n"
            '  http cmd="httpd -C %(conf)s" listen="127.0.0.1:%(port)d" prefork=1 maxchild=20\n'
            '  lmtpunix cmd="lmtpd -C %(conf)s" listen="%(lmtp)s" prefork=0 maxchild=4\n'
            "}\n"
            "EVENTS {\n"
            '  checkpoint cmd="%(bin)s/ctl_cyrusdb -C %(conf)s -c" period=30\n'
            "}\n"
            "DAEMON {\n"
            "}\n"
            % {"bin": BIN, "conf": self.conf, "port": self.port, "lmtp": self.lmtp})
        sasldb = root / "sasldb2"
        for user, password in USERS:
            r = subprocess.run([SASLPASSWD, "-p", "-c", "-f", str(sasldb), "-u", REALM, user],
                               input=password, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if r.returncode != 0:
                raise RigError("saslpasswd2 for %s failed: %s" % (user, r.stdout))
        for path in [root, *root.rglob("*")]:
            shutil.chown(path, RUN_USER, RUN_GROUP)
        root.chmod(0o700)
        sasldb.chmod(0o600)
        self.master = Server(
            "cyrus", [MASTER, "-C", str(self.conf), "-M", str(master_conf),
                      "-p", str(root / "master.pid"), "-D"],
            self.port, self.log_path, root, user=RUN_USER, run_group=RUN_GROUP,
            probe=lambda: self.lmtp.exists())
        self.master.start()

    def wait_ready(self, timeout=START_TIMEOUT):
        self.master.wait_ready(timeout)
        # Each user's mailbox, made by delivering one message (autocreate_post); httpd makes
        # the default calendar and address book on the user's first request.
        for user, password in USERS:
            message = ("From: rig@example.com\r\nTo: %s@example.com\r\nSubject: welcome\r\n"
                       "Message-ID: <rig-%s@example.com>\r\n\r\nMade by the davkit test rig.\r\n"
                       % (user, user))
            r = subprocess.run([str(BIN / "deliver"), "-C", str(self.conf), "-a", RUN_USER, user],
                               input=message, text=True, user=RUN_USER, group=RUN_GROUP,
                               extra_groups=[], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if r.returncode != 0:
                raise RigError("Cyrus setup: delivering to %s failed (code %d): %s\n"
                               "master.log:\n%s" % (user, r.returncode, r.stdout,
                                                    self.log_tail()))
            home = "/dav/calendars/user/%s/" % user
            deadline = time.monotonic() + timeout
            while True:
                status = _propfind_status(self.port, home, user, password)
                if status == 207:
                    break
                if time.monotonic() > deadline:
                    raise RigError("Cyrus setup: PROPFIND %s as %s answered %s, not 207\n"
                                   "master.log:\n%s" % (home, user, status, self.log_tail()))
                time.sleep(0.1)
            status = _propfind_status(self.port, "/dav/addressbooks/user/%s/" % user, user,
                                      password)
            if status != 207:
                raise RigError("Cyrus setup: the address book home of %s answered %s"
                               % (user, status))

    def env(self):
        return users_env("CYRUS", self.url, USERS)

    def log_tail(self, n=30):
        return tail(self.log_path, n)

    def error_logs(self):
        return [("cyrus (master)", self.log_path)]

    def exit_code(self):
        return self.master.exit_code() if self.master is not None else None

    def stop(self):
        if self.master is not None:
            self.master.stop()
