#!/usr/bin/env python3
"""Issue 20: rxdesk installed as a Debian service.

`make install` into a DESTDIR: the tree, the modes, the paths the unit, the
installed rxdesk.conf, sysusers.d, tmpfiles.d and the binary agree on; a
Debian configure (--prefix=/usr) gives /etc/rxdesk and /var/lib/rxdesk; the
installed rxdeskd, started with umask 0022, keeps its data, socket and logs
private; --check-config shows secrets as set/unset only; the shipped
configuration routes AE mail to the safety queue; `make uninstall` leaves
nothing but a changed configuration; the unit passes `systemd-analyze
verify`, rates under 3 in `systemd-analyze security`, and every system call
rxdeskd and its Redis make is inside the unit's SystemCallFilter.
"""
import json
import os
import re
import shutil
import smtplib
import stat
import subprocess
import time

from rxtest import BUILDDIR, SRCDIR, Tap, free_port, tmpdir, wait_until, _procs

VARS = ("CFLAGS", "prefix", "sbindir", "sysconfdir", "localstatedir", "pkgdatadir", "mandir",
        "systemdsystemunitdir", "sysusersdir", "tmpfilesdir", "rxconfdir", "rxstatedir")
SECRETS = {"RXDESK_MAIL_OUT_PASSWORD": "hunter2-mail-secret",
           "RXDESK_VOICE_TWILIO_AUTH_TOKEN": "twilio-secret-0f1e2d",
           "RXDESK_SAFETY_ENCRYPTION_KEY": "k1:" + "5a" * 32}
S = {}  # what the tests share: the DESTDIR and the build's directories


def skip(t, name, why):
    t.n += 1
    print("ok %d - %s # SKIP %s" % (t.n, name, why), flush=True)


def make_env():
    """A make of our own: not the jobserver or flags of `make check`'s."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def make_vars(builddir):
    """The build's installation directories, fully expanded by make."""
    rule = "rxvars:\n" + "".join("\t@echo '%s=$(%s)'\n" % (v, v) for v in VARS)
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", builddir, "-f", "Makefile",
                        "-f", "-", "rxvars"], input=rule, capture_output=True, text=True,
                       env=make_env())
    pairs = (w.split("=", 1) for w in r.stdout.splitlines() if "=" in w)
    return {k: v for k, v in pairs if k in VARS}


def make(*args):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", BUILDDIR] + list(args),
                          capture_output=True, text=True, timeout=600, env=make_env())


def under(path):
    return S["dest"] + path


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def unit_lines():
    with open(under(S["v"]["systemdsystemunitdir"] + "/rxdeskd.service")) as f:
        return [l.strip() for l in f if "=" in l and not l.startswith("#")]


def unit_value(key):
    return [l.split("=", 1)[1] for l in unit_lines() if l.split("=", 1)[0] == key]


def test_tree(t):
    S["dest"] = os.path.join(tmpdir(), "dest")
    r = make("install", "DESTDIR=" + S["dest"])
    t.ok(r.returncode == 0, "make install DESTDIR=...", r.stderr[-3000:])
    v = S["v"] = make_vars(BUILDDIR)
    for b in ("rxdeskd", "rxdeskctl"):
        p = under(v["sbindir"] + "/" + b)
        t.ok(os.path.isfile(p) and mode(p) == 0o755, "%s in sbindir, 0755" % b)
    for page in ("rxdeskd.8", "rxdeskctl.8"):
        t.ok(os.path.isfile(under(v["mandir"] + "/man8/" + page)), "man page " + page)
    for f in ("web/index.html", "web/console.js", "templates/ack.en.txt",
              "screening/en/symptoms.txt", "screening/zh/symptoms.txt"):
        t.ok(os.path.isfile(under(v["pkgdatadir"] + "/" + f)), "pkgdatadir/" + f)
    conf = under(v["rxconfdir"] + "/rxdesk.conf")
    t.ok(os.path.isfile(conf) and mode(conf) == 0o640, "rxdesk.conf in %s, 0640" % v["rxconfdir"],
         oct(mode(conf)) if os.path.exists(conf) else "missing")
    text = open(conf).read()
    t.ok(re.search(r"^data_dir = %s$" % re.escape(v["rxstatedir"]), text, re.M),
         "the installed rxdesk.conf keeps its data in %s" % v["rxstatedir"])
    # the unit: what it runs, as whom, where its data is
    t.eq(unit_value("ExecStart"), ["%s/rxdeskd -c %s/rxdesk.conf" % (v["sbindir"], v["rxconfdir"])],
         "ExecStart runs the installed rxdeskd on the installed rxdesk.conf")
    t.ok(unit_value("User") == ["rxdesk"] and unit_value("Group") == ["rxdesk"], "User=rxdesk")
    t.eq(unit_value("UMask"), ["0077"], "UMask=0077")
    if v["rxstatedir"] == "/var/lib/rxdesk":
        t.ok(unit_value("StateDirectory") == ["rxdesk"] and
             unit_value("StateDirectoryMode") == ["0700"], "StateDirectory=rxdesk, mode 0700")
    else:
        t.ok(any(v["rxstatedir"] in x.split() for x in unit_value("ReadWritePaths")),
             "ReadWritePaths names %s" % v["rxstatedir"], unit_value("ReadWritePaths"))
    su = open(under(v["sysusersdir"] + "/rxdesk.conf")).read()
    t.ok(re.search(r'^u rxdesk - ".*" %s /usr/sbin/nologin$' % re.escape(v["rxstatedir"]), su, re.M),
         "sysusers.d/rxdesk.conf creates the user rxdesk", su)
    tf = open(under(v["tmpfilesdir"] + "/rxdesk.conf")).read()
    t.ok(re.search(r"^d %s 0700 rxdesk rxdesk -$" % re.escape(v["rxstatedir"]), tf, re.M) and
         re.search(r"^z %s/rxdesk.conf 0640 root rxdesk -$" % re.escape(v["rxconfdir"]), tf, re.M),
         "tmpfiles.d/rxdesk.conf: the data directory 0700, rxdesk.conf 0640 root:rxdesk", tf)
    # the binary's own defaults point into the tree it was installed with
    r = subprocess.run([under(v["sbindir"] + "/rxdeskd"), "-c", conf, "--check-config"],
                       capture_output=True, text=True)
    t.ok(r.returncode == 0, "the installed rxdeskd accepts the installed rxdesk.conf", r.stderr)
    got = dict(l.split(" = ", 1) for l in r.stdout.splitlines() if " = " in l)
    for key, want in (("web_root", v["pkgdatadir"] + "/web"),
                      ("templates", v["pkgdatadir"] + "/templates"),
                      ("data_dir", v["rxstatedir"])):
        t.eq(got.get(key), want, "rxdeskd's %s is the installed one" % key)


def test_man_pages(t):
    if not shutil.which("groff"):
        skip(t, "man pages render without troff warnings", "groff is not installed")
        return
    for page in ("rxdeskd.8", "rxdeskctl.8"):
        r = subprocess.run(["groff", "-ww", "-z", "-man", "-Tutf8",
                            os.path.join(SRCDIR, "docs", page)], capture_output=True, text=True)
        t.ok(r.returncode == 0 and r.stderr == "", page + " renders without troff warnings",
             r.stderr)


def test_debian_layout(t):
    """./configure --prefix=/usr: Debian's paths in everything generated."""
    d = tmpdir()
    r = subprocess.run([os.path.join(SRCDIR, "configure"), "-q", "--prefix=/usr"], cwd=d,
                       capture_output=True, text=True, timeout=600)
    if not t.ok(r.returncode == 0, "configure --prefix=/usr", r.stderr[-2000:]):
        return
    gen = ["etc/rxdeskd.service", "etc/sysusers.d/rxdesk.conf", "etc/tmpfiles.d/rxdesk.conf",
           "etc/rxdesk.conf.installed"]
    r = subprocess.run(["make", "-s", "-C", d] + gen, capture_output=True, text=True,
                       env=make_env())
    t.ok(r.returncode == 0, "the unit, sysusers, tmpfiles and rxdesk.conf generated", r.stderr)
    v = make_vars(d)
    t.eq([v.get(k) for k in ("sbindir", "rxconfdir", "rxstatedir", "systemdsystemunitdir")],
         ["/usr/sbin", "/etc/rxdesk", "/var/lib/rxdesk", "/usr/lib/systemd/system"],
         "--prefix=/usr: /usr/sbin, /etc/rxdesk, /var/lib/rxdesk, /usr/lib/systemd/system")
    unit = open(os.path.join(d, gen[0])).read()
    t.ok("ExecStart=/usr/sbin/rxdeskd -c /etc/rxdesk/rxdesk.conf\n" in unit and
         "StateDirectory=rxdesk\n" in unit and "ReadWritePaths" not in unit,
         "the Debian unit: /usr/sbin/rxdeskd, /etc/rxdesk/rxdesk.conf, StateDirectory")
    conf = open(os.path.join(d, gen[3])).read()
    t.ok("\ndata_dir = /var/lib/rxdesk\n" in conf, "the Debian rxdesk.conf: /var/lib/rxdesk")


def write_conf(extra_env=None):
    """The installed rxdesk.conf on free ports and a private data_dir."""
    v, d = S["v"], tmpdir()
    os.chmod(d, 0o755)
    S["http"], S["smtp"] = free_port(), free_port()
    S["data"] = os.path.join(d, "data")
    S["log"] = os.path.join(d, "logs", "rxdeskd.log")
    os.makedirs(os.path.dirname(S["log"]))
    with open(under(v["rxconfdir"] + "/rxdesk.conf")) as f:
        text = f.read()
    text = text.replace("data_dir = %s" % v["rxstatedir"],
                        "data_dir = %s\nlog_file = %s\nshutdown_timeout = 5" % (S["data"], S["log"]))
    text = text.replace("listen = 127.0.0.1:8080", "listen = 127.0.0.1:%d\nweb_root = %s" % (
        S["http"], under(v["pkgdatadir"] + "/web")))
    text = text.replace("listen = 127.0.0.1:2525", "listen = 127.0.0.1:%d" % S["smtp"])
    text = text.replace("[mail_out]", "[mail_out]\ntemplates = %s" %
                        under(v["pkgdatadir"] + "/templates"))
    S["conf"] = os.path.join(d, "rxdesk.conf")
    with open(S["conf"], "w") as f:
        f.write(text)
    return S["conf"]


def start(wrapper=()):
    """The installed rxdeskd, started the way a careless shell would."""
    env = dict(os.environ, **SECRETS)
    p = subprocess.Popen(list(wrapper) + [under(S["v"]["sbindir"] + "/rxdeskd"), "-c", S["conf"]],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: os.umask(0o022))
    _procs.append(p)
    import http.client

    def ready():
        c = http.client.HTTPConnection("127.0.0.1", S["http"], timeout=5)
        c.request("GET", "/readyz")
        return c.getresponse().status == 200
    wait_until(ready, timeout=30, what="the installed rxdeskd /readyz")
    return p


def send_mail(rcpt, subject, body):
    msg = "From: doctor@example.org\r\nTo: %s\r\nSubject: %s\r\n\r\n%s\r\n" % (rcpt, subject, body)
    with smtplib.SMTP("127.0.0.1", S["smtp"], timeout=30) as c:
        c.sendmail("doctor@example.org", [rcpt], msg)


def redis_cli(*args):
    return subprocess.run(["redis-cli", "-s", os.path.join(S["data"], "redis.sock")] + list(args),
                          capture_output=True, text=True).stdout.strip()


def test_private_files(t):
    write_conf()
    os.makedirs(S["data"], mode=0o755)   # an operator's mkdir: narrowed at start
    os.chmod(S["data"], 0o755)
    p = start()
    send_mail("support@example.com", "Rash after the second dose",
              "My patient developed a rash after taking Cardiomax.")
    send_mail("safety@example.com", "Report", "After Cardiomax my patient had a severe headache.")
    send_mail("support@example.com", "Opening hours", "When are you open?")
    queues = [redis_cli("HGET", "rx:t:%d" % n, "queue") for n in (1, 2, 3)]
    t.eq(queues, ["safety", "safety", "general"],
         "the shipped configuration: AE mail to support@ and safety@ lands in [queue safety]")
    got = json.loads(redis_cli("FCALL", "rx_ticket_get", "0", "rx:", '{"ticket":3}') or "{}")
    fields = [e.get("fields") for e in got.get("log", []) if e.get("fields")]
    t.ok(fields and fields[0].get("cc") == [] and fields[0].get("to") == ["support@example.com"],
         "a mail without Cc: fields.cc is an empty list, like to", fields)
    bad = []
    for root, dirs, files in os.walk(S["data"]):
        for n in dirs:
            if mode(os.path.join(root, n)) != 0o700:
                bad.append((os.path.join(root, n), oct(mode(os.path.join(root, n)))))
        for n in files:
            f = os.path.join(root, n)
            st = os.lstat(f)
            if stat.S_ISLNK(st.st_mode):
                continue
            want = 0o600 if stat.S_ISREG(st.st_mode) else None
            if (want and stat.S_IMODE(st.st_mode) != want) or stat.S_IMODE(st.st_mode) & 0o077:
                bad.append((f, oct(stat.S_IMODE(st.st_mode))))
    aof = os.path.join(S["data"], "appendonlydir")
    t.ok(os.path.isdir(aof) and any(n.endswith(".aof") for n in os.listdir(aof)),
         "the embedded Redis wrote its AOF")
    t.ok(mode(S["data"]) == 0o700 and not bad,
         "umask 0022: data_dir 0700, every directory 0700, every file 0600 (AOF, redis.log, "
         "socket private)", bad)
    t.eq(oct(mode(S["log"])), oct(0o600), "server.log_file 0600")
    p.terminate()
    p.wait(timeout=60)
    t.eq(p.returncode, 0, "SIGTERM: rxdeskd drains and exits 0")


def test_check_config_secrets(t):
    conf = S.get("conf") or write_conf()
    env = dict(os.environ, RXDESK_VOICE_CTI_TOKEN="", **SECRETS)
    r = subprocess.run([under(S["v"]["sbindir"] + "/rxdeskd"), "-c", conf, "--check-config"],
                       capture_output=True, text=True, env=env)
    out = r.stdout + r.stderr
    t.ok(r.returncode == 0, "--check-config with secrets in the environment", r.stderr)
    leaked = [v for v in SECRETS.values() if v in out or v[3:] in out]
    t.ok(not leaked, "--check-config prints no secret's value", leaked)
    for line in ("password = (set)", "twilio_auth_token = (set)", "encryption_key = (set)",
                 "cti_token = (unset)"):
        t.ok(("\n" + line + "\n") in "\n" + r.stdout, "--check-config: " + line)


def test_uninstall(t):
    v = S["v"]
    conf = under(v["rxconfdir"] + "/rxdesk.conf")
    with open(conf, "a") as f:
        f.write("; the administrator's change\n")
    r = make("install", "DESTDIR=" + S["dest"])
    t.ok(r.returncode == 0 and "; the administrator's change" in open(conf).read() and
         os.path.isfile(conf + ".new"),
         "make install again keeps a changed rxdesk.conf, the shipped one beside it as .new",
         r.stdout + r.stderr)
    r = make("uninstall", "DESTDIR=" + S["dest"])
    left = [os.path.join(root, n) for root, dirs, files in os.walk(S["dest"]) for n in files]
    t.ok(r.returncode == 0 and left == [conf], "make uninstall leaves only the changed rxdesk.conf",
         left)
    os.unlink(conf)
    make("install", "DESTDIR=" + S["dest"])
    r = make("uninstall", "DESTDIR=" + S["dest"])
    left = [os.path.join(root, n) for root, dirs, files in os.walk(S["dest"]) for n in files]
    dirs = [root for root, _, _ in os.walk(S["dest"]) if "rxdesk" in root]
    t.ok(r.returncode == 0 and not left and not dirs,
         "install then uninstall: no file and no directory of ours left", (left, dirs))


def test_secure_cookie(t):
    """Behind a TLS proxy (docs/operations.md) public_url is https://: the
    session cookie must be Secure though rxdeskd itself speaks HTTP."""
    from rxtest import Daemon, Redis, add_agent
    redis = Redis()
    for url, secure in (("https://support.example.com", True), ("http://127.0.0.1:1", False)):
        d = Daemon(redis, conf="[server]\npublic_url = %s\n" % url)
        email = "admin%d@example.com" % secure
        add_agent(redis, email, roles="agent")
        s, _, h = d.request("POST", "/api/v1/session", {"email": email, "password": "correct horse"},
                            headers={"Origin": url})
        t.ok(s == 201 and ("; Secure" in h.get("set-cookie", "")) == secure,
             "public_url %s: the session cookie is %sSecure" % (url, "" if secure else "not "),
             (s, h.get("set-cookie")))
        d.stop()


def analyze_copy():
    """The installed unit with its binaries under DESTDIR, for verify."""
    v, d = S["v"], tmpdir()
    text = open(under(v["systemdsystemunitdir"] + "/rxdeskd.service")).read()
    text = text.replace("ExecStart=" + v["sbindir"], "ExecStart=" + under(v["sbindir"]))
    path = os.path.join(d, "rxdeskd.service")
    with open(path, "w") as f:
        f.write(text)
    return path


def test_systemd_analyze(t):
    if not shutil.which("systemd-analyze"):
        for name in ("systemd-analyze verify", "systemd-analyze security under 3",
                     "the unit's SystemCallFilter holds every system call made"):
            skip(t, name, "systemd-analyze is not installed (Debian package systemd)")
        return
    make("install", "DESTDIR=" + S["dest"])
    unit = analyze_copy()
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", unit],
                       capture_output=True, text=True)
    noise = [l for l in r.stderr.splitlines() if l and "sysinit.target" not in l]
    t.ok(not noise, "systemd-analyze verify: no complaint about the unit", r.stderr)
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", unit],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for rxdeskd.service: ([0-9.]+)", r.stdout)
    t.ok(m and float(m.group(1)) < 3.0, "systemd-analyze security: %s (under 3)" %
         (m.group(1) if m else "?"), r.stdout[-3000:] + r.stderr)
    test_syscalls(t)


def expand_filter(group, seen):
    out = subprocess.run(["systemd-analyze", "syscall-filter", group],
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        w = line.strip()
        if not w or w.startswith("#"):
            continue
        if w.startswith("@"):
            if w not in seen:
                seen.add(w)
                names |= expand_filter(w, seen)
        else:
            names.add(w)
    return names


def allowed_syscalls():
    allow, deny = set(), set()
    for spec in unit_value("SystemCallFilter"):
        neg = spec.startswith("~")
        names = set()
        for w in spec.lstrip("~").split():
            names |= expand_filter(w, set()) if w.startswith("@") else {w}
        (deny if neg else allow).update(names)
    return allow - deny


def test_syscalls(t):
    """Run the installed rxdeskd and its Redis under strace through start,
    mail, a form, an AOF rewrite (Redis forks) and a stop: every call made
    must pass the unit's SystemCallFilter, or systemd would refuse it."""
    name = "the unit's SystemCallFilter holds every system call rxdeskd and redis-server made"
    if not shutil.which("strace"):
        skip(t, name, "strace is not installed")
        return
    if "-fsanitize" in S["v"].get("CFLAGS", ""):
        # LeakSanitizer stops the threads with ptrace at exit: calls of the
        # sanitizer's own, not of rxdeskd's (the plain build checks them)
        skip(t, name, "a sanitizer build makes system calls of its own")
        return
    write_conf()
    trace = os.path.join(tmpdir(), "trace")
    p = start(wrapper=["strace", "-f", "-qq", "-o", trace])
    send_mail("support@example.com", "Question", "What is the dose?")
    redis_cli("BGREWRITEAOF")
    wait_until(lambda: redis_cli("INFO", "persistence").find("aof_rewrite_in_progress:0") >= 0,
               timeout=30, what="the AOF rewrite")
    time.sleep(0.5)
    daemon = [int(x) for x in subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                                             text=True).stdout.split()]
    for pid in daemon:
        os.kill(pid, 15)
    p.wait(timeout=60)
    allowed, used = allowed_syscalls(), set()
    with open(trace) as f:
        for line in f:
            m = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
            if m:
                used.add(m.group(1))
    t.ok(len(used) > 30 and not (used - allowed), name,
         "denied: %s (of %d used)" % (sorted(used - allowed), len(used)))


if __name__ == "__main__":
    Tap().run([test_tree, test_man_pages, test_debian_layout, test_private_files,
               test_check_config_secrets, test_secure_cookie, test_systemd_analyze,
               test_uninstall])
