"""Builds the Python package over the one C build definition, c/CMakeLists.txt: CMake compiles the
C library exactly as C users get it (same sources, flags, Release type), as a static library of
position-independent code, and the Cython modules (pyx/_*.pyx -> dredfx._ec, dredfx._packet, ...,
one per layer) are linked against it.

DREDFX_FIXED_DEBUG=1 in the environment builds the overflow-checking variant (CMake
-DDREDFX_FIXED_DEBUG=ON, the macro also set for the Cython modules). CMake build folders:
build/cmake/python and build/cmake/python-fixed-debug. Needs cmake (3.16 or later) on PATH.

dredfx.opus (pyx/_opus.pyx, over the dredfx-opus library: libopus 1.6.1 with dredfx inside) is
built only when the libopus 1.6.1 source tree is there: $DREDFX_OPUS_SOURCE, else the one
scripts/get-libopus.sh puts in the dredfx cache (the weights import fetches it too). Without it
the module is skipped with a message, and `import dredfx.opus` says how to get it."""
import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
FIXED_DEBUG = os.environ.get("DREDFX_FIXED_DEBUG") == "1"
CMAKE_BUILD = ROOT / "build" / "cmake" / ("python-fixed-debug" if FIXED_DEBUG else "python")
LIBRARY = CMAKE_BUILD / "libdredfx.a"
MACROS = [("DREDFX_FIXED_DEBUG", "1")] if FIXED_DEBUG else []
OPUS_LIBRARY = CMAKE_BUILD / "libdredfx-opus.a"


def opus_source():
    """The libopus 1.6.1 tree for dredfx-opus, or None (dredfx.opus is then not built)."""
    env = os.environ.get("DREDFX_OPUS_SOURCE")
    if env:
        if not os.path.isfile(os.path.join(env, "src", "opus_decoder.c")):
            sys.exit("setup.py: DREDFX_OPUS_SOURCE=%s is not a libopus 1.6.1 source tree" % env)
        return os.path.abspath(env)
    # dredfx/opus_source.py's cache rules (standard library only, importable before the build).
    spec = importlib.util.spec_from_file_location("_dredfx_opus_source", ROOT / "dredfx" / "opus_source.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tree = os.path.join(module.cache_dir(), "opus-" + module.VERSION)
    if os.path.isfile(os.path.join(tree, "src", "opus_decoder.c")):
        return tree
    print("setup.py: no libopus %s source in %s: dredfx.opus is not built (bash scripts/get-libopus.sh "
          "fetches it; then build again)" % (module.VERSION, tree), file=sys.stderr)
    return None


OPUS_SOURCE = opus_source()


def header_version():
    text = (ROOT / "c" / "include" / "dredfx_version.h").read_text()
    return re.search(r'#define DREDFX_VERSION_STRING "([^"]+)"', text).group(1)


def pyproject_version():
    text = (ROOT / "pyproject.toml").read_text()
    return re.search(r'^version = "([^"]+)"', text, re.M).group(1)


if header_version() != pyproject_version():
    sys.exit("setup.py: pyproject.toml version %s differs from c/include/dredfx_version.h %s"
             % (pyproject_version(), header_version()))


def cmake_cache_usable(cmake):
    """False for a build folder configured for another source path (a copied or moved tree) or by
    another CMake version (another cmake first on PATH): it is started afresh, as
    scripts/cmake-dir.sh does. True when there is none yet."""
    cache = CMAKE_BUILD / "CMakeCache.txt"
    if not cache.exists():
        return True
    text = cache.read_text()
    version = [re.search(r"^CMAKE_CACHE_%s_VERSION:INTERNAL=(\d+)$" % part, text, re.M)
               for part in ("MAJOR", "MINOR", "PATCH")]
    current = subprocess.run([cmake, "--version"], capture_output=True, text=True).stdout
    return (all(version) and "CMAKE_HOME_DIRECTORY:INTERNAL=%s\n" % (ROOT / "c") in text
            and current.startswith("cmake version %s\n" % ".".join(m.group(1) for m in version)))


def cmake_library(jobs):
    """Configures and builds the static library in CMAKE_BUILD (incremental)."""
    cmake = shutil.which("cmake")
    if cmake is None:
        sys.exit("setup.py: cmake not found on PATH; install it (Debian: apt install cmake)")
    if not cmake_cache_usable(cmake):
        shutil.rmtree(CMAKE_BUILD, ignore_errors=True)
    subprocess.check_call([cmake, "-S", str(ROOT / "c"), "-B", str(CMAKE_BUILD),
                           "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_POSITION_INDEPENDENT_CODE=ON",
                           "-DDREDFX_TESTS=OFF",
                           "-DDREDFX_FIXED_DEBUG=%s" % ("ON" if FIXED_DEBUG else "OFF"),
                           "-DDREDFX_OPUS=%s" % ("ON" if OPUS_SOURCE else "OFF"),
                           "-DDREDFX_OPUS_SOURCE=%s" % (OPUS_SOURCE or "")])
    targets = ["dredfx"] + (["dredfx-opus"] if OPUS_SOURCE else [])
    subprocess.check_call([cmake, "--build", str(CMAKE_BUILD), "--target"] + targets +
                          ["--parallel", str(jobs)])


class BuildExtWithCMake(build_ext):
    """Builds the C library through CMake first, also for in-place and editable builds."""

    def run(self):
        cmake_library(self.parallel or os.cpu_count() or 1)
        super().run()

    def build_extension(self, ext):
        # setuptools relinks only when a source is newer; the library counts too.
        out = Path(self.get_ext_fullpath(ext.name))
        library = OPUS_LIBRARY if ext.name == "dredfx._opus" else LIBRARY
        if out.exists() and out.stat().st_mtime < library.stat().st_mtime:
            out.unlink()
        super().build_extension(ext)


extensions = [
    Extension(
        "dredfx." + os.path.splitext(os.path.basename(pyx))[0],
        sources=[pyx],
        include_dirs=["c/include", "c/src", "pyx", numpy.get_include()],
        define_macros=MACROS + [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_objects=[str(LIBRARY)],
        libraries=["m"],
    )
    for pyx in sorted(glob.glob(os.path.join("pyx", "_*.pyx"))) if pyx != os.path.join("pyx", "_opus.pyx")
]
if OPUS_SOURCE:
    # libdredfx-opus.a holds dredfx's objects as well.
    extensions.append(Extension(
        "dredfx._opus",
        sources=[os.path.join("pyx", "_opus.pyx")],
        include_dirs=[os.path.join(OPUS_SOURCE, "include"), "c/opus/include", "pyx", numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_objects=[str(OPUS_LIBRARY)],
        libraries=["m", "pthread"],
    ))

setup(
    cmdclass={"build_ext": BuildExtWithCMake},
    ext_modules=cythonize(extensions, include_path=["pyx"], language_level=3,
                          compiler_directives={"boundscheck": False, "wraparound": False}),
)
