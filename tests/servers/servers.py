#!/usr/bin/env python3
"""Start throw-away Radicale, Xandikos, DAViCal, Cyrus and SOGo servers on 127.0.0.1 for davkit's
live tests.

    servers.py [--only radicale|xandikos|davical|cyrus|sogo[,...]] [--seed] run -- CMD ARGS...
    servers.py [--only radicale|xandikos|davical|cyrus|sogo[,...]] [--seed] serve

`run` starts the servers, runs CMD with DAVKIT_* environment variables, stops the
servers (also on Ctrl-C / SIGTERM), deletes the temporary directory and exits with
CMD's exit code. `serve` prints `export DAVKIT_...=...` lines and waits until killed.
Exit code 125 means the rig itself failed (venv, server start, seeding).

Stdlib only; works with any python3 >= 3.9. Radicale and Xandikos run from <repo>/.venv,
which is created or refreshed by setup-venv.sh (called automatically unless --no-setup).
DAViCal (davical.py), Cyrus (cyrus.py) and SOGo (sogo.py) run from Debian's packages, installed
with apt-get when missing; without --only each is left out, with a message, when that is impossible (not
root, no apt), unless DAVKIT_REQUIRE_LIVE=1.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from rig import RigError, Server, START_TIMEOUT, STOP_GRACE, ERROR_MARKERS, free_ports, log  # noqa: E402
REPO = HERE.parent.parent
VENV = REPO / ".venv"
VENV_PY = VENV / "bin" / "python"

USERS = [("alice", "alice-pass"), ("bob", "bob-pass")]
SERVERS = ["radicale", "xandikos", "davical", "cyrus", "sogo"]
# The servers from Debian's packages: module name, and what the rig calls them.
PACKAGED = {"davical": "DAViCal", "cyrus": "Cyrus", "sogo": "SOGo"}
RIG_FAILURE = 125

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, PUT, POST, DELETE, OPTIONS, PROPFIND, "
                                    "PROPPATCH, REPORT, MKCOL, MKCALENDAR",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Depth, If-Match, "
                                    "If-None-Match, Prefer",
    "Access-Control-Expose-Headers": "ETag, Location, DAV, Content-Type",
    "Access-Control-Max-Age": "600",
}


class Stop(BaseException):
    """Raised from the signal handler so that cleanup runs in `finally` blocks."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def bcrypt_hashes(passwords):
    """bcrypt hashes with a low cost (4 rounds) so that Radicale checks them quickly."""
    try:
        import bcrypt  # present when run with the venv's python
        return [bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode() for p in passwords]
    except ImportError:
        code = ("import bcrypt, sys\n"
                "for p in sys.argv[1:]:\n"
                "    print(bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode())\n")
        out = subprocess.run([str(VENV_PY), "-c", code, *passwords], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        return out.split()


def radicale_server(tmp, port):
    root = tmp / "radicale"
    (root / "collections").mkdir(parents=True)
    hashes = bcrypt_hashes([pw for _, pw in USERS])
    users_file = root / "users"
    users_file.write_text("".join("%s:%s\n" % (u, h) for (u, _), h in zip(USERS, hashes)))
    headers = "".join("%s = %s\n" % kv for kv in CORS_HEADERS.items())
    config = root / "config"
    config.write_text(
        "[server]\n"
        "hosts = 127.0.0.1:%d\n"
        "\n[auth]\n"
        "type = htpasswd\n"
        "htpasswd_filename = %s\n"
        "htpasswd_encryption = bcrypt\n"
        "delay = 0\n"
        "\n[rights]\n"
        "type = owner_only\n"
        "\n[storage]\n"
        "filesystem_folder = %s\n"
        "\n[logging]\n"
        "level = warning\n"
        "mask_passwords = True\n"
        "\n[headers]\n"
        "%s" % (port, users_file, root / "collections", headers))
    argv = [str(VENV_PY), "-m", "radicale", "--config", str(config)]
    return Server("radicale", argv, port, root / "log", root)


def xandikos_server(tmp, port):
    root = tmp / "xandikos"
    (root / "data").mkdir(parents=True)
    (root / "state").mkdir()
    argv = [str(VENV / "bin" / "xandikos"), "serve", "--defaults",
            "-d", str(root / "data"), "--state-dir", str(root / "state"),
            "-l", "127.0.0.1", "-p", str(port), "--no-detect-systemd"]
    return Server("xandikos", argv, port, root / "log", root)


def ensure_venv():
    r = subprocess.run(["bash", str(HERE / "setup-venv.sh")], stdout=sys.stderr)
    if r.returncode != 0:
        raise RigError("setup-venv.sh failed with code %d" % r.returncode)


def selected_servers(args):
    """The servers to start: --only's list, or all four, DAViCal and Cyrus only when they are
    installed or can be installed (apt-get, as root) unless --only names them or
    DAVKIT_REQUIRE_LIVE=1 (then not being able to is a rig failure)."""
    which = args.only or list(SERVERS)
    required = bool(args.only) or os.environ.get("DAVKIT_REQUIRE_LIVE") == "1"
    for name, label in PACKAGED.items():
        if name not in which:
            continue
        module = __import__(name)
        try:
            spent = module.ensure_installed()
            if spent:
                log("%s's packages installed in %.1f s" % (label, spent))
        except RigError as e:
            if required:
                raise
            log("%s left out (%s); DAVKIT_%s_* are not set" % (label, e, name.upper()))
            which = [w for w in which if w != name]
    return which


def start_servers(args, tmp, servers):
    """Start the selected servers (appended to `servers` at once, so the caller can always
    stop them), wait for them, seed if asked. Returns the env dict."""
    which = selected_servers(args)
    ports = free_ports(len(which) + 1)
    t0 = time.monotonic()
    for name, port in zip(which, ports):
        if name == "radicale":
            s = radicale_server(tmp, port)
        elif name == "xandikos":
            s = xandikos_server(tmp, port)
        elif name == "cyrus":
            import cyrus
            s = cyrus.CyrusServer(tmp, port)
        elif name == "sogo":
            import sogo
            s = sogo.SogoServer(tmp, port)
        else:
            import davical
            s = davical.DavicalServer(tmp, port, ports[-1])
        servers.append(s)
        s.start()
    for s in servers:
        s.wait_ready(START_TIMEOUT)
    t_ready = time.monotonic() - t0

    env = {}
    for s in servers:
        if s.name == "radicale":
            env["DAVKIT_RADICALE_URL"] = s.url
            env["DAVKIT_RADICALE_USER"] = USERS[0][0]
            env["DAVKIT_RADICALE_PASSWORD"] = USERS[0][1]
            env["DAVKIT_RADICALE_USER2"] = USERS[1][0]
            env["DAVKIT_RADICALE_PASSWORD2"] = USERS[1][1]
            env["DAVKIT_RADICALE_STORAGE"] = str(s.cwd / "collections")
        elif s.name == "xandikos":
            env["DAVKIT_XANDIKOS_URL"] = s.url
        else:
            env.update(s.env())

    msg = "%s ready in %.2f s" % (", ".join("%s %s" % (s.name, s.url) for s in servers), t_ready)
    if args.seed:
        sys.path.insert(0, str(HERE))
        import seed
        t1 = time.monotonic()
        jobs = []
        for s in servers:
            if s.name in ("cyrus", "sogo"):
                continue  # their tests make what they read
            if s.name == "radicale":
                jobs.append((s.name, (s.url, USERS[0][0], USERS[0][1]), {}))
            elif s.name == "davical":
                jobs.append((s.name, (s.url, env["DAVKIT_DAVICAL_USER"],
                                      env["DAVKIT_DAVICAL_PASSWORD"]), {}))
            else:
                jobs.append((s.name, (s.url, "user", ""),
                             {"calendar_home": s.url + "user/calendars/",
                              "addressbook_home": s.url + "user/contacts/"}))
        errors = []

        def seed_one(name, a, kw):
            try:
                seed.seed(*a, **kw)
            except Exception as e:  # reported below, in the main thread
                errors.append("%s: %s" % (name, e))

        threads = [threading.Thread(target=seed_one, args=j, daemon=True) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RigError("seeding failed: " + "; ".join(errors))
        env["DAVKIT_SEEDED"] = "1"
        env["DAVKIT_SAMPLE_DIR"] = str(seed.SAMPLE_DIR)
        msg += ", seeded in %.2f s" % (time.monotonic() - t1)
    log(msg)
    return env


def run_child(cmd, env):
    child = subprocess.Popen(cmd, env={**os.environ, **env})
    try:
        rc = child.wait()
    except Stop as stop:
        if child.poll() is None:
            try:
                child.send_signal(stop.signum)
                child.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            except ProcessLookupError:
                pass
        raise
    return 128 - rc if rc < 0 else rc


def report_server_errors(servers):
    """After a failed run, print each server's error lines (tracebacks and ERROR records;
    for DAViCal, PHP errors and PostgreSQL's ERROR/FATAL lines), so that a 500 seen by a
    test can be told apart from a davkit fault in CI output."""
    for s in servers:
        for label, path in s.error_logs():
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            keep = [i for i, line in enumerate(lines) if any(m in line for m in ERROR_MARKERS)]
            if not keep:
                continue
            shown = set()
            for i in keep[-5:]:
                shown.update(range(i, min(i + 25, len(lines))))
            log("%s logged errors (last %d of %d shown):\n%s" % (
                label, min(5, len(keep)), len(keep),
                "\n".join(lines[i] for i in sorted(shown))))


def serve_forever(servers, env):
    for k, v in env.items():
        print("export %s=%s" % (k, shlex_quote(v)))
    sys.stdout.flush()
    log("serving; stop with Ctrl-C or SIGTERM")
    while True:
        time.sleep(1)
        for s in servers:
            rc = s.exit_code()
            if rc is not None:
                raise RigError("%s exited with code %s. Log tail:\n%s" % (s.name, rc, s.log_tail()))


def shlex_quote(v):
    import shlex
    return shlex.quote(v)


def server_list(text):
    names = [n for n in text.split(",") if n]
    bad = [n for n in names if n not in SERVERS]
    if bad or not names:
        raise argparse.ArgumentTypeError("choose from %s" % ", ".join(SERVERS))
    return list(dict.fromkeys(names))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    cmd = []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(
        description="Throw-away Radicale/Xandikos/DAViCal/Cyrus/SOGo servers for davkit live tests.",
        usage="%(prog)s [--only radicale|xandikos|davical|cyrus|sogo[,...]] [--seed] [--no-setup] "
              "[--keep] {run -- CMD ARGS... | serve}")
    p.add_argument("command", choices=["run", "serve"])
    p.add_argument("--only", type=server_list, metavar="NAME[,NAME...]",
                   help="start just these servers (radicale, xandikos, davical, cyrus, sogo)")
    p.add_argument("--seed", action="store_true",
                   help="seed tests/servers/sample/ into Radicale (alice), Xandikos (/user/) "
                        "and DAViCal (alice); not Cyrus")
    p.add_argument("--no-setup", action="store_true", help="do not run setup-venv.sh first")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (debugging)")
    args = p.parse_args(argv)
    if args.command == "run" and not cmd:
        p.error("run needs a command after --")
    if args.command == "serve" and cmd:
        p.error("serve takes no command")

    def on_signal(signum, _frame):
        raise Stop(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    servers = []
    tmp = None
    code = 0
    try:
        if not args.no_setup:
            ensure_venv()
        if not VENV_PY.exists():
            raise RigError("%s missing; run tests/servers/setup-venv.sh" % VENV_PY)
        tmp = Path(tempfile.mkdtemp(prefix="davkit-servers-"))
        env = start_servers(args, tmp, servers)
        if args.command == "run":
            code = run_child(cmd, env)
            if code != 0:
                report_server_errors(servers)
        else:
            serve_forever(servers, env)
    except Stop as stop:
        log("got signal %d, stopping" % stop.signum)
        code = 128 + stop.signum
    except RigError as e:
        log("error: %s" % e)
        code = RIG_FAILURE
    except (OSError, subprocess.SubprocessError) as e:
        log("error: %s" % e)
        code = RIG_FAILURE
    finally:
        # Do not let a second Ctrl-C interrupt the cleanup.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for s in servers:
            s.stop()
        if tmp is not None:
            if args.keep:
                log("kept %s" % tmp)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
