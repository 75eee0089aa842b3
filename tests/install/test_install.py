#!/usr/bin/env python3
"""test_install.py - install grocket and use it from outside the tree.

Registered with CTest (tests/CMakeLists.txt). From the build tree it was
given, and nothing else:

 1. `cmake --install BUILD --prefix TMP/prefix`; every promised file is
    there, the installed grocketd.ini and kv.ini name the installed demo and
    kv modules and pass `grocketd -t`, the systemd unit and the logrotate
    snippet carry the installed paths; the installed kv.ini, on port 0,
    serves: redis-cli PING is answered PONG (a raw RESP PING where
    redis-cli is not installed).
 2. pkg-config: `grocket.pc` gives the flags an embedder (upcase_embedded.c)
    builds and runs with; and the recipe of docs/embedding.md, run as
    written there (its prefix replaced by TMP/prefix), builds the docs'
    example server, which serves an echo and stops with exit 0 on SIGTERM.
 3. A fresh CMake build of examples/out_of_tree_module with only
    CMAKE_PREFIX_PATH=TMP/prefix (find_package(grocket CONFIG)): the module
    through grocket_add_module, and an embedder against grocket::grocket
    and grocket::grocket_static, which run and check themselves; the
    package's GROCKET_CONFIG_FILE and GROCKET_MODULE_DIR name the installed
    files.
 4. The installed grocketd (a configuration written here, port 0) loads
    that module; TCP and HTTP are answered by it; SIGTERM stops it with
    exit 0.

Sanitizer builds pass their flags to the out-of-tree build, since the
installed libraries are instrumented.

--target windows: the same for the mingw-w64 cross-build, from Linux, with
the Windows programs run under Wine (--emulator, cmake/wine-run.sh, in the
caller's WINEPREFIX; Wine is not Windows). Step 1 without test_tcp_client,
the systemd unit and the logrotate snippet (not installed there), with the
third-party libraries grocket::grocket_static needs; no step 2; step 3 with
only CMAKE_TOOLCHAIN_FILE and CMAKE_PREFIX_PATH, the embedder against
grocket::grocket run with the installed bin/ as its DLL path; step 4 stops
grocketd.exe with `grocketd -s stop`, Windows having no SIGTERM.

Every step has a time limit; the temporary directory is removed on success
and kept (its path printed) on failure.
"""
import argparse
import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


class Failure(Exception):
    pass


def run(cmd, timeout, env=None, cwd=None):
    """Run cmd (a list); return its output; Failure when it fails."""
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env, cwd=cwd, text=True)
    except subprocess.TimeoutExpired as e:
        raise Failure("timed out after %d s: %s\n%s" % (timeout, cmd[0], e.output or ""))
    if p.returncode != 0:
        raise Failure("exit %d: %s\n%s" % (p.returncode, " ".join(cmd), p.stdout))
    return p.stdout


def expect(cond, what):
    if not cond:
        raise Failure(what)


def read(path):
    with open(path) as f:
        return f.read()


def windows(a):
    return a.target == "windows"


def exe(a, path):
    """The file name of the program path on the target."""
    return path + ".exe" if windows(a) else path


def module_file(a, name):
    """The file name grocket_add_module gives the module name."""
    return "lib%s.%s" % (name, "dll" if windows(a) else "so")


def native(a, path):
    """A host path as the target's programs name it (Wine maps / to Z:)."""
    return "Z:" + path if windows(a) else path


def program(a, path, *args):
    """The command that runs the target's program path with args."""
    return ([a.emulator] if windows(a) else []) + [exe(a, path)] + list(args)


def check_install(a, prefix):
    run(["cmake", "--install", a.build, "--prefix", prefix], 180)
    files = [exe(a, "bin/grocketd"),
             "include/grocket/grocket.h", "include/grocket/libgrocket.h",
             "etc/grocket/grocketd.ini", "etc/grocket/kv.ini",
             "share/doc/grocket/docs/embedding.md",
             os.path.join(a.libdir, "libgrocket.a"),
             os.path.join(a.libdir, "grocket/modules", module_file(a, "demo")),
             os.path.join(a.libdir, "grocket/modules", module_file(a, "kv")),
             os.path.join(a.libdir, "cmake/grocket/grocketConfig.cmake"),
             os.path.join(a.libdir, "cmake/grocket/grocketModule.cmake"),
             os.path.join(a.libdir, "pkgconfig/grocket.pc")]
    unix_only = ["bin/test_tcp_client", "etc/logrotate.d/grocketd", "lib/systemd/system/grocketd.service"]
    if windows(a):
        files += ["bin/libgrocket.dll", os.path.join(a.libdir, "libgrocket.dll.a"),
                  os.path.join(a.libdir, "grocket/third_party/libinih.a"),
                  os.path.join(a.libdir, "grocket/third_party/libhttp_parser.a")]
        for rel in unix_only:
            expect(not os.path.exists(os.path.join(prefix, rel)), "installed for Windows: " + rel)
    else:
        files += unix_only + [os.path.join(a.libdir, "libgrocket.so")]
    for rel in files:
        expect(os.path.exists(os.path.join(prefix, rel)), "not installed: " + rel)

    grocketd = os.path.join(prefix, "bin/grocketd")
    for name, module in [("grocketd.ini", "demo"), ("kv.ini", "kv")]:
        check_installed_ini(a, prefix, name, module)
    serve_kv(a, prefix)
    if windows(a):
        return
    out = run([os.path.join(prefix, "bin/test_tcp_client"), "--help"], 30)
    expect("usage" in out, "test_tcp_client --help: " + out)

    unit = read(os.path.join(prefix, "lib/systemd/system/grocketd.service"))
    ini = os.path.join(prefix, "etc/grocket/grocketd.ini")
    expect("ExecStart=%s -c %s" % (grocketd, ini) in unit, "grocketd.service ExecStart:\n" + unit)
    rot = read(os.path.join(prefix, "etc/logrotate.d/grocketd"))
    expect(os.path.join(prefix, "var/log/grocket/*.log {") in rot, "logrotate snippet:\n" + rot)


def check_installed_ini(a, prefix, name, module):
    """etc/grocket/NAME names the installed module, the pid file the
    target wants, and passes `grocketd -t`."""
    ini = os.path.join(prefix, "etc/grocket", name)
    text = read(ini)
    path = os.path.join(prefix, a.libdir, "grocket/modules", module_file(a, module))
    if windows(a):  # relative to the configuration's folder, so the tree can move
        path = os.path.relpath(path, os.path.dirname(ini)).replace("/", "\\")
    expect("\nmodule = %s\n" % path in text, "installed %s does not name %s" % (name, path))
    pid = os.path.splitext(name)[0] + ".pid" if windows(a) else ""  # Windows: what `grocketd -s` reads
    expect(re.search(r"\npid_file = ?%s\n" % re.escape(pid), text), "installed %s: pid_file not '%s'" % (name, pid))
    out = run(program(a, os.path.join(prefix, "bin/grocketd"), "-t", "-c", native(a, ini)), 120)  # Wine may first make its prefix
    expect("is good" in out, "grocketd -t on the installed %s: %s" % (name, out))


def serve_kv(a, prefix):
    """The installed kv.ini, its port made 0, serves PING. The copy lies
    beside it so that its module path (relative on Windows) still holds."""
    text = read(os.path.join(prefix, "etc/grocket/kv.ini"))
    expect("\n0 = tcp://0.0.0.0:6379\n" in text, "installed kv.ini does not listen on tcp://0.0.0.0:6379")
    ini = os.path.join(prefix, "etc/grocket/kv-test.ini")
    with open(ini, "w") as f:
        f.write(text.replace("\n0 = tcp://0.0.0.0:6379\n", "\n0 = tcp://127.0.0.1:0\n"))
    log_path = os.path.join(prefix, "kv-test.log")
    proc, ports = start_grocketd(a, prefix, ini, log_path, ["tcp"])
    try:
        cli = shutil.which("redis-cli")
        if cli:
            out = run([cli, "-h", "127.0.0.1", "-p", str(ports["tcp"]), "PING"], 30)
            expect(out.strip() == "PONG", "redis-cli PING to the installed kv: %r" % out)
        else:
            print("redis-cli is not installed (install-deps.sh): a raw RESP PING instead", flush=True)
            with socket.create_connection(("127.0.0.1", ports["tcp"]), timeout=10) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                got = recv_exactly(s, 7)
                expect(got == b"+PONG\r\n", "PING to the installed kv: %r" % got)
        stop_grocketd(a, prefix, ini, proc, log_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def san_flags(a):
    return a.sanitize_flags.split() if a.sanitize_flags else []


def check_pkg_config(a, prefix, work):
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, a.libdir, "pkgconfig"))
    version = run(["pkg-config", "--modversion", "grocket"], 30, env=env).strip()
    expect(version == a.version, "pkg-config version %s, expected %s" % (version, a.version))
    flags = run(["pkg-config", "--cflags", "--libs", "grocket"], 30, env=env).split()
    expect("-lgrocket" in flags, "pkg-config --libs: %s" % flags)
    moddir = run(["pkg-config", "--variable=moduledir", "grocket"], 30, env=env).strip()
    expect(os.path.realpath(moddir) == os.path.realpath(os.path.join(prefix, a.libdir, "grocket/modules")),
           "pkg-config moduledir: " + moddir)
    src = os.path.join(a.source, "examples/out_of_tree_module")
    exe = os.path.join(work, "upcase_embedded_pc")
    libdir = os.path.join(prefix, a.libdir)
    run([a.cc] + san_flags(a) + ["-o", exe, os.path.join(src, "upcase_embedded.c"), os.path.join(src, "upcase.c")]
        + flags + ["-Wl,-rpath," + libdir], 120)
    out = run([exe], 60)
    expect("upcase_embedded: ok" in out, out)


def docs_block(text, heading, fence):
    """The first fenced block (```fence) after the line `heading`."""
    m = re.search(r"^%s.*?^```%s\n(.*?)^```" % (re.escape(heading), re.escape(fence)), text, re.M | re.S)
    expect(m, "docs/embedding.md: no ```%s block after '%s'" % (fence, heading))
    return m.group(1)


def wait_for_log(proc, log_path, what, timeout):
    """Wait until the log holds what (a regex); return the match."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(what, read(log_path))
        if m:
            return m
        expect(proc.poll() is None, "exited at start (%s):\n%s" % (proc.returncode, read(log_path)))
        time.sleep(0.05)
    raise Failure("no '%s' in %d s:\n%s" % (what, timeout, read(log_path)))


def check_docs_example(a, prefix, work):
    """docs/embedding.md: its server, built with its pkg-config recipe
    against the private prefix, echoes and stops gracefully on SIGTERM."""
    doc = read(os.path.join(a.source, "docs/embedding.md"))
    src = docs_block(doc, "## A server in one screen", "c")
    expect("tcp://127.0.0.1:7000" in src, "the example no longer listens on tcp://127.0.0.1:7000")
    ex = os.path.join(work, "docs-example")
    os.makedirs(ex)
    with open(os.path.join(ex, "main.c"), "w") as f:
        f.write(src.replace("tcp://127.0.0.1:7000", "tcp://127.0.0.1:0"))  # any free port

    # The recipe: its `export` and `cc` lines, with the docs' prefix replaced
    # by ours (and the sanitizer flags the installed library needs).
    recipe = docs_block(doc, "**pkg-config.**", "")
    m = re.search(r"--prefix (\S+)", recipe)
    expect(m, "the pkg-config recipe installs to no --prefix")
    lines = [l.replace(m.group(1) + "/lib/", "%s/%s/" % (prefix, a.libdir)).replace(m.group(1), prefix)
             for l in recipe.splitlines() if l.startswith("export ") or l.startswith("cc ")]
    expect(len(lines) == 2, "the pkg-config recipe has no `export` and `cc` line: %r" % recipe)
    lines[1] = " ".join([shlex.quote(a.cc)] + san_flags(a)) + lines[1][2:]
    run(["sh", "-ec", "\n".join(lines)], 120, cwd=ex)
    exe = os.path.join(ex, "myserver")
    expect(os.path.exists(exe), "the recipe built no ./myserver")

    log_path = os.path.join(ex, "myserver.log")
    log = open(log_path, "w")
    env = dict(os.environ)
    env.pop("LD_LIBRARY_PATH", None)  # the run path alone must find libgrocket
    proc = subprocess.Popen([exe], stdout=log, stderr=subprocess.STDOUT, cwd=ex, env=env)
    try:
        port = int(wait_for_log(proc, log_path, r"listening on tcp://127\.0\.0\.1:(\d+)", 30).group(1))
        wait_for_log(proc, log_path, r"grocket running", 30)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"hello from the docs")
            got = recv_exactly(s, 19)
            expect(got == b"hello from the docs", "the docs' example echoed %r" % got)
            # An idle connection is open while it stops: the graceful stop
            # closes it and exits.
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                raise Failure("the docs' example did not stop within 30 s of SIGTERM:\n" + read(log_path))
            expect(s.recv(1) == b"", "the idle connection was not closed at the stop")
        expect(rc == 0, "the docs' example exited %d on SIGTERM:\n%s" % (rc, read(log_path)))
        expect("totals:" in read(log_path), "the docs' example logged no totals:\n" + read(log_path))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def build_out_of_tree(a, prefix, work):
    build = os.path.join(work, "oot-build")
    flags = " ".join(san_flags(a))
    cmd = ["cmake", "-S", os.path.join(a.source, "examples/out_of_tree_module"), "-B", build,
           "-DCMAKE_PREFIX_PATH=" + prefix]
    if windows(a):
        cmd += ["-DCMAKE_TOOLCHAIN_FILE=" + a.toolchain]
    else:
        cmd += ["-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
                "-DCMAKE_C_COMPILER=" + a.cc, "-DCMAKE_CXX_COMPILER=" + a.cxx]
    if flags:
        cmd += ["-DCMAKE_C_FLAGS=" + flags, "-DCMAKE_CXX_FLAGS=" + flags,
                "-DCMAKE_EXE_LINKER_FLAGS=" + flags, "-DCMAKE_MODULE_LINKER_FLAGS=" + flags]
    out = run(cmd, 180)
    # The package's variables name what was installed (the example prints them).
    m = re.search(r"^-- grocket [\d.]+: modules in (.*), configuration (.*)$", out, re.M)
    expect(m, "examples/out_of_tree_module printed no grocket variables:\n" + out)
    for got, want in [(m.group(1), os.path.join(prefix, a.libdir, "grocket/modules")),
                      (m.group(2), os.path.join(prefix, "etc/grocket/grocketd.ini"))]:
        expect(os.path.exists(got) and os.path.realpath(got) == os.path.realpath(want),
               "grocket package variable is %s, expected %s" % (got, want))
    cache = read(os.path.join(build, "CMakeCache.txt"))
    m = re.search(r"^grocket_DIR:PATH=(.*)$", cache, re.M)
    expect(m and os.path.realpath(m.group(1)).startswith(os.path.realpath(prefix)),
           "grocket was not found in the installed tree: %s" % (m.group(1) if m else "no grocket_DIR"))
    run(["cmake", "--build", build, "-j2"], 300)
    m = re.search(r"^CMAKE_OBJDUMP:FILEPATH=(.+)$", cache, re.M)
    expect(m, "CMake found no objdump for the out-of-tree build")
    objdump = m.group(1)
    env = None
    if windows(a):  # Windows finds a program's DLLs on its PATH
        env = dict(os.environ, WINEPATH=native(a, os.path.join(prefix, "bin")))
    for name, shared in [("upcase_embedded", True), ("upcase_embedded_static", False)]:
        path = os.path.join(build, name)
        expect(os.path.exists(exe(a, path)), exe(a, name) + " was not built")
        # The one needs the installed shared library, the other does not.
        deps = run([objdump, "-p", exe(a, path)], 60)
        needs = re.search(r"(NEEDED|DLL Name:)\s+libgrocket\.", deps) is not None
        expect(needs == shared, "%s %s libgrocket's shared library" % (name, "does not need" if shared else "needs"))
        out = run(program(a, path), 60, env=env)
        expect("upcase_embedded: ok" in out, out)
    module = os.path.join(build, module_file(a, "upcase"))
    expect(os.path.exists(module), module_file(a, "upcase") + " was not built")
    return module


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def serve_module(a, prefix, module, work):
    ini = os.path.join(work, "upcase.ini")
    # Windows: `grocketd -s stop` finds the server through its pid file
    # (relative: beside the configuration).
    pid_file = "grocketd.pid" if windows(a) else ""
    with open(ini, "w") as f:
        f.write("[server]\nmodule = %s\npid_file = %s\n\n[upcase]\nprefix = up:\n\n"
                "[listen]\n0 = tcp://127.0.0.1:0\n1 = http://127.0.0.1:0\n" % (native(a, module), pid_file))
    log_path = os.path.join(work, "grocketd.log")
    proc, ports = start_grocketd(a, prefix, ini, log_path, ["tcp", "http"])
    try:
        tcp, web = ports["tcp"], ports["http"]
        with socket.create_connection(("127.0.0.1", tcp), timeout=10) as s:
            s.sendall(b"hello\nworld\n")
            want = b"up:HELLO\nup:WORLD\n"
            got = recv_exactly(s, len(want))
            expect(got == want, "TCP reply %r, expected %r" % (got, want))

        c = http.client.HTTPConnection("127.0.0.1", web, timeout=10)
        c.request("GET", "/?text=out%20of%20tree")
        r = c.getresponse()
        body = r.read()
        c.close()
        expect(r.status == 200 and body == b"up:OUT OF TREE", "HTTP reply %d %r" % (r.status, body))

        stop_grocketd(a, prefix, ini, proc, log_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def start_grocketd(a, prefix, ini, log_path, schemes):
    """Start the installed grocketd on ini (its addresses on 127.0.0.1,
    port 0), its output to log_path; wait until it runs; return the
    process and the port it listens on for each scheme."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen(program(a, os.path.join(prefix, "bin/grocketd"), "-c", native(a, ini)),
                                stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60  # sanitizer builds and Wine start slowly
    while time.time() < deadline:
        text = read(log_path)
        found = {k: re.search(r"listening on %s://127\.0\.0\.1:(\d+)" % k, text) for k in schemes}
        if all(found.values()) and "grocket running" in text:
            return proc, {k: int(m.group(1)) for k, m in found.items()}
        if proc.poll() is not None:
            raise Failure("installed grocketd exited at start:\n" + text)
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise Failure("installed grocketd did not start in 60 s:\n" + read(log_path))


def stop_grocketd(a, prefix, ini, proc, log_path):
    """Stop it as the target does (SIGTERM; Windows: `grocketd -s stop`,
    through the pid file): exit 0, totals logged."""
    if windows(a):
        run(program(a, os.path.join(prefix, "bin/grocketd"), "-s", "stop", "-c", native(a, ini)), 60)
    else:
        proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise Failure("installed grocketd did not stop within 30 s of being told to")
    expect(rc == 0, "installed grocketd exited %d:\n%s" % (rc, read(log_path)))
    expect("totals:" in read(log_path), "no totals in the log:\n" + read(log_path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--libdir", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--target", choices=["host", "windows"], default="host")
    ap.add_argument("--cc", help="host: the C compiler")
    ap.add_argument("--cxx", help="host: the C++ compiler")
    ap.add_argument("--sanitize-flags", default="")
    ap.add_argument("--toolchain", help="windows: cmake/toolchain-mingw-w64.cmake")
    ap.add_argument("--emulator", help="windows: what runs a .exe (cmake/wine-run.sh)")
    a = ap.parse_args()
    need = ["toolchain", "emulator"] if windows(a) else ["cc", "cxx"]
    for n in need:
        if not getattr(a, n):
            ap.error("--target %s needs --%s" % (a.target, n))

    work = tempfile.mkdtemp(prefix="grocket-install-")
    prefix = os.path.join(work, "prefix")
    try:
        check_install(a, prefix)
        if not windows(a):
            check_pkg_config(a, prefix, work)
            check_docs_example(a, prefix, work)
        module = build_out_of_tree(a, prefix, work)
        serve_module(a, prefix, module, work)
    except Failure as e:
        print("FAILED: %s\n(kept %s)" % (e, work), file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("install test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
