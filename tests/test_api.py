"""The Python package as a user meets it: the reference runs with NumPy alone, the compiled side
never loads it, one signature and one error per bad input, error codes as the C header numbers
them, the command line's help and its refusals, and the weights download from a Debian pool."""
import ast
import functools
import hashlib
import http.server
import inspect
import os
import re
import subprocess
import sys
import threading

import numpy as np
import pytest

import dredfx
from dredfx import dred, ec, errors, opus_source, packet
from dredfx.errors import ArgumentTypeError, InvalidArgumentError
from dredfx.ref import dred as refdred
from dredfx.ref import ec as refec
from dredfx.ref import packet as refpacket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "dredfx")


# The dredfx under test (a build in the clone, or an install), for the subprocesses.
PYTHONPATH = os.path.dirname(os.path.dirname(os.path.abspath(dredfx.__file__)))


def run_python(code, **env):
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": PYTHONPATH, **env})
    assert r.returncode == 0, r.stderr
    return r.stdout


# ---------------------------------------------------------------- independent twins

REF_ALONE = r"""
import importlib, importlib.machinery, os, sys
import numpy as np


class NoExtensions:
    # Refuses every compiled dredfx module, also one added after this test was written.
    def find_spec(self, name, path, target=None):
        if name.startswith("dredfx."):
            for finder in sys.meta_path[1:]:
                spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
                if spec is not None:
                    if isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
                        raise ImportError("compiled module %s blocked" % name)
                    return None
        return None


sys.meta_path.insert(0, NoExtensions())
for name in ("_dred", "_ec", "_nn", "_packet", "_weights"):
    sys.modules["dredfx." + name] = None   # importing any of them now fails
    try:
        importlib.import_module("dredfx." + name)
        raise AssertionError(name + " was not blocked")
    except ImportError:
        pass
from dredfx.ref import dred, ec, nn, packet, weights
# Range coder: values and raw bits round trip.
enc = ec.Encoder(64)
enc.enc_uint(1000, 4096); ec.laplace_encode_p0(enc, -7, 16384, 20000); enc.enc_bits(5, 3)
enc.done()
dec = ec.Decoder(enc.buffer)
assert (dec.dec_uint(4096), ec.laplace_decode_p0(dec, 16384, 20000), dec.dec_bits(3)) == (1000, -7, 5)
# Packets: build, parse, extensions.
pad = packet.generate_extensions([(126, 0, b"D\x0cxyz"), (33, 1, b"a")], 2)
pkt = packet.build_packet(1, 0, [b"\x0b\x0c", b"\x0d"], padding=pad)
info = packet.parse_packet(pkt)
assert info.frames == [b"\x0b\x0c", b"\x0d"] and info.padding == pad
assert packet.parse_extensions(info.padding, 2) == [(126, 0, b"D\x0cxyz"), (33, 1, b"a")]
# DRED: payloads round trip through the range coder and an Opus packet (synthetic tables, or the
# imported blob read by the pure-Python reader when there is one).
rng = np.random.default_rng(3)
tables = {}
for kind, dim in (("latent", 25), ("state", 50)):
    n = 16 * dim
    tables[f"dred_{kind}_quant_scales_q8"] = rng.integers(1, 256, n).astype(np.uint8)
    tables[f"dred_{kind}_dead_zone_q8"] = rng.integers(0, 256, n).astype(np.uint8)
    tables[f"dred_{kind}_r_q8"] = rng.integers(1, 256, n).astype(np.uint8)
    tables[f"dred_{kind}_p0_q8"] = rng.integers(1, 255, n).astype(np.uint8)
sources = [tables]
if os.path.exists(weights.weights_blob_path()):
    sources.append(weights.default())
for w in sources:
    for q0, dq, nb in ((6, 3, 26), (0, 0, 1), (12, 7, 9)):
        p = dred.DredPayload(q0=q0, dq=dq, qmax=15, dred_offset=4, nb_latents=nb,
                             state_q=rng.integers(-3, 4, 50).astype(np.int32),
                             latents_q=rng.integers(-3, 4, (nb, 25)).astype(np.int32))
        st = dred.stats_arrays(w)
        for kind, a, lv in [("state", p.state_q, [q0])] + [("latent", p.latents_q[c], [dred.level(q0, dq, 15, c)]) for c in range(nb)]:
            dim = a.size
            off = lv[0] * dim
            a[(st[kind + "_r"][off:off + dim] == 0) | (st[kind + "_p0"][off:off + dim] == 255)] = 0
        data = dred.encode_payload(p, w)
        full = packet.pad_packet(packet.build_packet(15, 0, [bytes(30)]), [(126, 0, dred.PREFIX + data)])
        d = dred.parse_dred(full, 48000, 48000, w)
        assert d.nb_latents == nb and np.array_equal(d.state_q, p.state_q), (q0, nb)
        assert np.array_equal(d.latents_q, p.latents_q) and dred.encode_payload(d, w) == data
loaded = sorted(m for m, v in sys.modules.items() if m.startswith("dredfx") and v is not None
                and getattr(v, "__file__", "").endswith(".so"))
assert loaded == [], loaded
print("reference ok,", len(sources), "table sets")
"""


def test_reference_runs_with_every_compiled_module_blocked():
    assert run_python(REF_ALONE).startswith("reference ok")


def test_compiled_side_never_loads_the_reference():
    out = run_python(
        "import sys, dredfx, dredfx.dred, dredfx.packet, dredfx.ec, dredfx.weights, dredfx.cli\n"
        "import numpy as np\n"
        "w = {'dred_%s_%s_q8' % (k, t): np.ones(16 * d, np.uint8) for k, d in (('latent', 25), "
        "('state', 50)) for t in ('quant_scales', 'dead_zone', 'r', 'p0')}\n"
        "pkt = dredfx.packet.build_packet(1, 0, [b'\\x0b'])\n"
        "assert dredfx.parse_dred(pkt, weights=w) is None\n"
        "print(sorted(m for m in sys.modules if m.startswith('dredfx.ref')))")
    assert out.strip() == "[]"


def test_weights_are_parsed_once_per_process():
    try:
        __import__("dredfx.weights").weights.default()
    except errors.WeightsError as e:
        pytest.skip(str(e))
    # The C loader is reached through dredfx.weights.Weights only ...
    users = [f for f in os.listdir(PKG) if f.endswith(".py")
             and "_weights.Weights(" in open(os.path.join(PKG, f)).read()]
    assert users == ["weights.py"]
    # ... which the compiled modules build once, whatever they are asked.
    out = run_python(
        "from dredfx import dred, packet, weights\n"
        "n = [0]\n"
        "init = weights.Weights.__init__\n"
        "def counting(self, *a):\n"
        "    n[0] += 1\n"
        "    init(self, *a)\n"
        "weights.Weights.__init__ = counting\n"
        "pkt = packet.build_packet(1, 0, [b'\\x0b'])\n"
        "for _ in range(3):\n"
        "    dred.parse_dred(pkt); dred.decode_payload(b'\\x12\\x34'); dred.make_stats()\n"
        "weights.default().arrays['dred_state_r_q8']\n"
        "print(n[0])")
    assert out.strip() == "1"


def test_package_import_graph_has_no_cycle():
    graph = {}
    for path in sorted(os.listdir(PKG)):
        if path.endswith(".py"):
            tree = ast.parse(open(os.path.join(PKG, path)).read())
            deps = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 1:
                    deps.update([node.module] if node.module else [a.name for a in node.names])
            graph[path[:-3]] = {d.split(".")[0] for d in deps}
    assert "cli" not in graph["simulate"] and "simulate" in graph["cli"]

    @functools.lru_cache(None)
    def reach(m):
        out = set()
        for d in graph.get(m, ()):
            out |= {d} | (reach(d) if d != m else set())
        return frozenset(out)
    cyclic = [m for m in graph if m in reach(m)]
    assert cyclic == []


# ---------------------------------------------------------------- one API, named arguments

def test_parse_dred_is_one_function_with_one_signature():
    assert dredfx.parse_dred is dred.parse_dred
    params = list(inspect.signature(dredfx.parse_dred).parameters)
    assert params == ["packet", "max_dred_samples", "sampling_rate", "weights", "coded_chunks"]
    ref = list(inspect.signature(refdred.parse_dred).parameters)
    assert ref == params[:4]


def test_error_codes_are_the_headers():
    header = open(os.path.join(ROOT, "c", "include", "dredfx.h")).read()
    enum = dict((m[0], int(m[1])) for m in re.findall(r"DREDFX_(ERR_\w+) = (-\d+)", header))
    mine = {k: v for k, v in vars(errors).items() if k.startswith("ERR_")}
    assert mine and all(enum[k] == v for k, v in mine.items())


@pytest.mark.parametrize("call", [
    lambda: dred.parse_dred(42),
    lambda: dred.parse_dred("a string"),
    lambda: dredfx.parse_dred(None),
    lambda: refdred.parse_dred(42, weights={}),
    lambda: dred.find_dred(42) if hasattr(dred, "find_dred") else packet.parse_packet(42),
    lambda: packet.parse_packet(42),
    lambda: refpacket.parse_packet(42),
    lambda: packet.pad_packet(42),
    lambda: packet.build_packet(1, 0, [42]),
    lambda: packet.parse_extensions(42, 1),
    lambda: packet.repacketize(8, [b"\x00"], [(33, 0, 42)]),
    lambda: dred.decode_payload(7),
    lambda: dred.decode_coded(7),
    lambda: dred.attach_dred(42, b"\x00"),
    lambda: dred.attach_dred(b"\x08\x00", 42),
    lambda: ec.Decoder(42),
    lambda: refec.Decoder(42),
    lambda: packet.parse_packet(np.zeros(3, np.int32)),
])
def test_an_int_or_other_non_bytes_is_refused_with_its_name(call):
    with pytest.raises(ArgumentTypeError) as e:
        call()
    assert isinstance(e.value, TypeError) and isinstance(e.value, InvalidArgumentError)
    assert re.match(r"(packet|data|frames\[0\]|padding|extension payload|payload) must", str(e.value)), str(e.value)


def test_bytes_like_objects_are_accepted():
    pkt = packet.build_packet(1, 0, [b"\x0b\x0c"])
    for obj in (bytearray(pkt), memoryview(pkt), np.frombuffer(pkt, np.uint8)):
        assert packet.parse_packet(obj).frames == [b"\x0b\x0c"]
        assert refpacket.parse_packet(obj).frames == [b"\x0b\x0c"]


@pytest.mark.parametrize("mod", [dred, refdred], ids=["c", "py"])
def test_encode_none_names_the_payload(mod):
    fn = mod.encode_dred if mod is dred else mod.encode_payload
    with pytest.raises(TypeError, match="payload must be a DredPayload, not NoneType"):
        fn(None, {})


ONES = {"dred_%s_%s_q8" % (kind, t): np.ones(16 * dim, np.uint8)
        for kind, dim in (("latent", 25), ("state", 50))
        for t in ("quant_scales", "dead_zone", "r", "p0")}


@pytest.mark.parametrize("mod", [dred, refdred], ids=["c", "py"])
@pytest.mark.parametrize("call, name", [
    (lambda m: m.parse_dred(b"\x08\x00", -1, 48000, ONES), "max_dred_samples"),
    (lambda m: m.parse_dred(b"\x08\x00", 960, 0, ONES), "sampling_rate"),
    (lambda m: m.decode_payload(b"\x01", -2, 0, ONES), "min_feature_frames"),
    (lambda m: m.decode_payload(b"\x01", 104, 99, ONES), "dred_frame_offset"),
    (lambda m: m.level(16, 0, 15, 0), "q0"),
])
def test_invalid_argument_errors_name_the_argument(mod, call, name):
    with pytest.raises(InvalidArgumentError) as e:
        call(mod)
    assert name in str(e.value), str(e.value)


@pytest.mark.parametrize("call, name", [
    (lambda: ec.Encoder(-1), "size"),
    (lambda: ec.Encoder(8).enc_uint(3, 2), "fl"),
    (lambda: packet.build_packet(32, 0, [b"\x00"]), "config"),
    (lambda: packet.build_packet(1, 0, []), "frames"),
    (lambda: packet.generate_extensions([(126, 0, b"x")], 1, pad=True), "length"),
    (lambda: packet.pad_packet(b"\x08\x00", length=-1), "length"),
    (lambda: dred.encode_dred(dredfx.dred.DredPayload(q0=1, dq=0, nb_latents=3), {}), "latents_q"),
])
def test_c_side_argument_errors_name_the_argument(call, name):
    with pytest.raises(InvalidArgumentError) as e:
        call()
    assert name in str(e.value), str(e.value)


# ---------------------------------------------------------------- command line

def test_help_lists_every_subcommand_with_a_line():
    out = run_python("from dredfx import cli; cli.main(['--help'])")
    for cmd in ("weights", "inspect", "cpu", "simulate"):
        assert re.search(r"^\s+%s\s+\S.{10,}$" % cmd, out, re.M), (cmd, out)


@pytest.mark.parametrize("bitrate", ["ten", "24000.5"])
def test_simulate_refuses_a_bitrate_that_is_no_number(bitrate):
    r = subprocess.run([sys.executable, "-m", "dredfx", "simulate", "--bitrate", bitrate], cwd=ROOT,
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": PYTHONPATH})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "argument --bitrate:" in r.stderr


@pytest.mark.parametrize("loss", ["bernoulli:150", "lossgen:-1", "lossgen:ten"])
def test_simulate_refuses_a_loss_outside_0_to_100(loss):
    r = subprocess.run([sys.executable, "-m", "dredfx", "simulate", "--loss", loss], cwd=ROOT,
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": PYTHONPATH})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("dredfx: error: ") and r.stderr.count("\n") == 1, r.stderr


def test_weights_import_of_a_file_that_is_no_tarball_is_one_clear_line(tmp_path):
    bad = tmp_path / "opus.tar.gz"
    bad.write_bytes(b"not a tarball\n" * 10)
    r = subprocess.run([sys.executable, "-m", "dredfx", "weights", "import", "--source", str(bad),
                        "--dest", str(tmp_path / "w.bin")], cwd=ROOT, capture_output=True,
                       text=True, env={**os.environ, "PYTHONPATH": PYTHONPATH})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    err = [l for l in r.stderr.splitlines() if "error" in l]
    assert len(err) == 1 and "neither a tar archive nor an opus 1.6.1 source tree" in err[0]


def test_read_opus_demo_round_trip(tmp_path):
    pkts = [packet.build_packet(1, 0, [b"\x0b\x0c"]), b"", bytes(range(200))]
    packet.write_opus_demo(str(tmp_path / "a.bit"), pkts)
    assert packet.read_opus_demo(str(tmp_path / "a.bit")) == pkts


# ---------------------------------------------------------------- weights source over HTTP

@pytest.fixture
def pool(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www as a Debian mirror."""
    www = tmp_path / "www"
    (www / "debian" / opus_source.POOL).mkdir(parents=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield www / "debian" / opus_source.POOL, "http://127.0.0.1:%d/debian" % server.server_port
    server.shutdown()


def test_download_with_a_wrong_sha256_is_refused_and_not_kept(pool, tmp_path, monkeypatch):
    folder, mirror = pool
    monkeypatch.setenv("DREDFX_CACHE", str(tmp_path / "cache"))
    (folder / opus_source.DSC).write_text("Format: 3.0 (quilt)\nSource: opus\n")
    with pytest.raises(opus_source.SourceError, match="has SHA-256 %s, expected %s" % (
            hashlib.sha256(b"Format: 3.0 (quilt)\nSource: opus\n").hexdigest(),
            opus_source.DSC_SHA256)):
        opus_source.download_debian_tarball(mirror)
    assert os.listdir(tmp_path / "cache") == []


def test_download_of_a_missing_file_says_what_to_do(pool, tmp_path, monkeypatch):
    _, mirror = pool
    monkeypatch.setenv("DREDFX_CACHE", str(tmp_path / "cache"))
    with pytest.raises(opus_source.SourceError, match="could not download .*--source"):
        opus_source.download_debian_tarball(mirror)


def test_weights_import_from_a_fake_pool_fails_cleanly(pool, tmp_path):
    folder, mirror = pool
    (folder / opus_source.DSC).write_bytes(b"wrong")
    r = subprocess.run([sys.executable, "-m", "dredfx", "weights", "import"], cwd=ROOT,
                       capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": PYTHONPATH, "DREDFX_DEBIAN_MIRROR": mirror,
                            "DREDFX_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "%s/%s/%s has SHA-256" % (mirror, opus_source.POOL, opus_source.DSC) in r.stderr


def test_real_dsc_then_a_wrong_tarball(pool, tmp_path, monkeypatch):
    cached = os.path.join(opus_source.cache_dir(), opus_source.DSC)
    if not os.path.exists(cached) or opus_source.sha256_file(cached) != opus_source.DSC_SHA256:
        pytest.skip("no cached %s" % opus_source.DSC)
    folder, mirror = pool
    (folder / opus_source.DSC).write_bytes(open(cached, "rb").read())
    (folder / opus_source.ORIG_TARBALL).write_bytes(b"\xfd7zXZ\x00 truncated")
    monkeypatch.setenv("DREDFX_CACHE", str(tmp_path / "cache"))
    with pytest.raises(opus_source.SourceError, match=opus_source.ORIG_TARBALL + " has SHA-256"):
        opus_source.download_debian_tarball(mirror)
    assert os.listdir(tmp_path / "cache") == [opus_source.DSC]  # the checked .dsc is kept


def test_apt_mirror_is_read_from_the_sources(tmp_path):
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "a.sources").write_text("Types: deb\nURIs: http://security.debian.org/debian-security\n"
                                 "Suites: bookworm-security\n\nTypes: deb\n"
                                 "URIs: http://mirror.example/debian\nSuites: bookworm\n")
    assert opus_source.apt_mirror([str(d)]) == "http://mirror.example/debian"
    one = tmp_path / "sources.list"
    one.write_text("# comment\ndeb [arch=amd64] https://ftp.example.org/debian/ bookworm main\n")
    assert opus_source.apt_mirror([str(one)]) == "https://ftp.example.org/debian"
    assert opus_source.apt_mirror([str(tmp_path / "none")]) == opus_source.DEFAULT_MIRROR


def test_opus_source_needs_no_apt_and_no_root():
    text = open(os.path.join(PKG, "opus_source.py")).read()
    assert "apt-get" not in text and "sudo" not in text and "subprocess" not in text


def test_readme_python_snippet_runs(tmp_path, monkeypatch):
    try:
        __import__("dredfx.weights").weights.default()
    except errors.WeightsError as e:
        pytest.skip(str(e))
    p = dred.DredPayload(q0=6, dq=3, qmax=15, dred_offset=4, nb_latents=3,
                         latents_q=np.zeros((3, 25), np.int32))
    bare = packet.build_packet(15, 0, [bytes(40)])
    cbr = dred.attach_dred(bare, dred.encode_dred(p), length=120)
    packet.write_opus_demo(str(tmp_path / "speech.bit"), [bare, b"", cbr, cbr])
    t = np.arange(16000)
    (0.3 * 32767 * np.sin(2 * np.pi * 150 * t / 16000) * (1 + np.sin(2 * np.pi * 3 * t / 16000))
     / 2).astype(np.int16).tofile(str(tmp_path / "speech.s16"))
    text = open(os.path.join(ROOT, "README.md")).read().split("\n## Python\n")[1].split("\n## ")[0]
    blocks = re.findall(r"\n\n((?:    .*\n|\n)+?)\n[^ \n]", text)
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)
    scope = {}
    for code in blocks:  # the second block goes on from the first
        exec("\n".join(l[4:] for l in code.splitlines()), scope)
    assert len(scope["with_dred"]) == 2 and scope["again"] == scope["packet"] == cbr
    assert scope["feats"].shape == (12, 20) and scope["f"].shape == (100, 20)
    assert scope["payload"] is None or isinstance(scope["payload"], bytes)
    assert scope["lost"].dtype == bool and scope["lost"].size == 1000
    assert scope["speech"].dtype == np.int16 and scope["speech"].size == 160 * 100
