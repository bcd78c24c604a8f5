"""What several test modules share: the imported weights, and the libopus 1.6.1 builds and
interop data that scripts/ make in the cache folder."""
import contextlib
import fcntl
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def weights():
    """dredfx.weights.default(); a test that needs it is skipped when no blob is imported."""
    from dredfx import errors, weights as w
    try:
        return w.default()
    except errors.WeightsError as e:
        pytest.skip("libopus 1.6.1 weights not imported (%s); run `python -m dredfx weights import`" % e)


@contextlib.contextmanager
def build_lock(name):
    """An exclusive file lock in build/locks: pytest-xdist's workers (scripts/test.sh runs two)
    share the cache folder and build/cmake/native, so whatever builds there runs in one at a time;
    the others then find it up to date."""
    folder = os.path.join(ROOT, "build", "locks")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name + ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def run_script(name, *args):
    """The last line a scripts/ tool prints (the folder it made or found); the test fails with the
    tool's error output when it fails."""
    with build_lock("scripts"):
        r = subprocess.run(["bash", os.path.join(ROOT, "scripts", name), *args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        pytest.fail("scripts/%s %s failed:\n%s" % (name, " ".join(args), r.stderr[-3000:]))
    return r.stdout.strip().splitlines()[-1]


def libopus_build(variant):
    """The folder of libopus 1.6.1's "x86" (its default build) or "generic" (-U__SSE2__) build."""
    return run_script("build-libopus.sh", variant)


def interop_data_dir():
    """$DREDFX_INTEROP_DIR, else the data scripts/interop-data.sh makes (or finds up to date)."""
    return os.environ.get("DREDFX_INTEROP_DIR") or run_script("interop-data.sh")


def c_program(target, env_name):
    """A C program of c/CMakeLists.txt: $env_name when set, else built here (in build/cmake/native
    when that folder belongs to this checkout, as scripts/test.sh leaves it, else in
    build/cmake/<target>); configured first, as a tree updated since may add targets."""
    exe = os.environ.get(env_name)
    if exe:
        return exe
    build = os.path.join(ROOT, "build", "cmake", "native")
    cache = os.path.join(build, "CMakeCache.txt")
    if os.path.exists(cache):
        with open(cache) as f:
            here = "CMAKE_HOME_DIRECTORY:INTERNAL=%s/c\n" % os.path.realpath(ROOT) in f.read()
    if not os.path.exists(cache) or not here:
        build = os.path.join(ROOT, "build", "cmake", target)
    with build_lock("cmake"):
        subprocess.run(["cmake", "-S", os.path.join(ROOT, "c"), "-B", build, "-DCMAKE_BUILD_TYPE=Release"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build, "-j2", "--target", target], check=True,
                       stdout=subprocess.DEVNULL)
    return os.path.join(build, target)


def outputs_at_every_level(code, *args):
    """{level name: stdout} of `python -c code args...` run once per CPU level of this machine under
    DREDFX_CPU, each in a fresh interpreter: every dredfx._* extension links its own copy of the C
    library, so dredfx._nn.set_cpu_level would not reach the models."""
    import sys
    from dredfx import _nn
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    out = {}
    for level in range(_nn.cpu_max_level() + 1):
        name = _nn.cpu_level_name(level)
        r = subprocess.run([sys.executable, "-c", code, *args], env=dict(env, DREDFX_CPU=name),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert r.returncode == 0, r.stderr
        out[name] = r.stdout
    return out


def interop_clips_dir():
    """The real speech clips of the interop data (s16le; *.16k.raw and *.48k.raw)."""
    return os.path.join(os.path.dirname(interop_data_dir()), "clips")


def speech_clips16():
    """The 16 kHz speech clips of the interop data (made on first use), sorted."""
    import glob
    return sorted(glob.glob(os.path.join(interop_clips_dir(), "*.16k.raw")))


def speech_corpus(rate=16000):
    """The 15 real speech clips of 6-10 s (five languages, four voices) of scripts/speech-corpus.sh,
    s16le at 16000 or 48000 Hz, sorted; made on first use."""
    import glob
    assert rate in (16000, 48000), rate
    folder = run_script("speech-corpus.sh")
    return sorted(glob.glob(os.path.join(folder, "*.%dk.raw" % (rate // 1000))))


def interop_tool(name, variant, exe):
    """interop/NAME.c compiled to exe against libopus 1.6.1's "x86" or "generic" build
    (-U__SSE2__ there, as it was configured, so the harness sees the same dnn/vec.h path)."""
    b = libopus_build(variant)
    src = run_script("get-libopus.sh")
    extra = ["-U__SSE2__"] if variant == "generic" else []
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wno-cpp", "-DHAVE_CONFIG_H", *extra, "-I" + b]
                   + ["-I" + os.path.join(src, d) for d in ("include", "src", "celt", "silk", "dnn", "")]
                   + [os.path.join(ROOT, "interop", name + ".c"), os.path.join(b, ".libs", "libopus.a"),
                      "-lm", "-o", exe], check=True)
    return exe


@pytest.fixture(scope="session")
def rdoenc_dump(tmp_path_factory):
    """rdoenc_dump(variant) -> interop/rdoenc_dump.c (libopus' own DRED encoder and decoder steps)
    compiled against libopus 1.6.1's "x86" or "generic" build (interop_tool)."""
    tools = {}

    def get(variant):
        if variant not in tools:
            exe = str(tmp_path_factory.mktemp("rdoenc") / ("rdoenc_dump_" + variant))
            tools[variant] = interop_tool("rdoenc_dump", variant, exe)
        return tools[variant]
    return get
