"""Builds the Python package over the one C build definition, c/CMakeLists.txt: CMake compiles the
C library exactly as C users get it (same sources, flags, Release type), as a static library of
position-independent code, and the Cython modules (pyx/_*.pyx -> dredfx._ec, dredfx._packet, ...,
one per layer) are linked against it.

DREDFX_FIXED_DEBUG=1 in the environment builds the overflow-checking variant (CMake
-DDREDFX_FIXED_DEBUG=ON, the macro also set for the Cython modules). CMake build folders:
build/cmake/python and build/cmake/python-fixed-debug. Needs cmake (3.16 or later) on PATH."""
import glob
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
                           "-DDREDFX_FIXED_DEBUG=%s" % ("ON" if FIXED_DEBUG else "OFF")])
    subprocess.check_call([cmake, "--build", str(CMAKE_BUILD), "--target", "dredfx",
                           "--parallel", str(jobs)])


class BuildExtWithCMake(build_ext):
    """Builds the C library through CMake first, also for in-place and editable builds."""

    def run(self):
        cmake_library(self.parallel or os.cpu_count() or 1)
        super().run()

    def build_extension(self, ext):
        # setuptools relinks only when a source is newer; the library counts too.
        out = Path(self.get_ext_fullpath(ext.name))
        if out.exists() and out.stat().st_mtime < LIBRARY.stat().st_mtime:
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
    for pyx in sorted(glob.glob(os.path.join("pyx", "_*.pyx")))
]

setup(
    cmdclass={"build_ext": BuildExtWithCMake},
    ext_modules=cythonize(extensions, include_path=["pyx"], language_level=3,
                          compiler_directives={"boundscheck": False, "wraparound": False}),
)
