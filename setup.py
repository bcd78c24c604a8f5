"""Builds dredfx._core: the Cython layer over the C library in c/ (all of c/src is compiled in)."""
import glob
import os
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def c_sources():
    srcs = sorted(glob.glob(os.path.join("c", "src", "**", "*.c"), recursive=True))
    if not srcs:
        sys.exit("setup.py: no C sources under c/src")
    return srcs


cflags = ["-O2", "-std=gnu11", "-fvisibility=hidden", "-Wall", "-Wno-unused-function"]
macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
if os.environ.get("DREDFX_FIXED_DEBUG") == "1":
    macros.append(("DREDFX_FIXED_DEBUG", "1"))

ext = Extension(
    "dredfx._core",
    sources=["pyx/_core.pyx"] + c_sources(),
    include_dirs=["c/include", "c/src", "pyx", numpy.get_include()],
    define_macros=macros,
    extra_compile_args=cflags,
)

setup(
    ext_modules=cythonize([ext], include_path=["pyx"], language_level=3,
                          compiler_directives={"boundscheck": False, "wraparound": False}),
)
