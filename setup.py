"""Builds the C library in c/ as a static library and one Cython module per layer over it
(dredfx._ec, dredfx._packet, dredfx._dred, dredfx._weights, dredfx._nn)."""
import glob
import os
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

C_SOURCES = sorted(glob.glob(os.path.join("c", "src", "**", "*.c"), recursive=True))
if not C_SOURCES:
    sys.exit("setup.py: no C sources under c/src")

CFLAGS = ["-O2", "-std=gnu11", "-fvisibility=hidden", "-Wall"]
MACROS = [("DREDFX_FIXED_DEBUG", "1")] if os.environ.get("DREDFX_FIXED_DEBUG") == "1" else []
INCLUDE = ["c/include", "c/src"]

extensions = [
    Extension(
        "dredfx." + os.path.splitext(os.path.basename(pyx))[0],
        sources=[pyx],
        include_dirs=INCLUDE + ["pyx", numpy.get_include()],
        define_macros=MACROS + [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=CFLAGS,
        libraries=["dredfx_c"],
    )
    for pyx in sorted(glob.glob(os.path.join("pyx", "_*.pyx")))
]



class BuildExtWithLib(build_ext):
    """Builds the static C library first, also for in-place and editable builds."""

    def run(self):
        self.run_command("build_clib")
        super().run()


setup(
    cmdclass={"build_ext": BuildExtWithLib},
    libraries=[("dredfx_c", {"sources": C_SOURCES, "include_dirs": INCLUDE, "macros": MACROS,
                             "cflags": CFLAGS})],
    ext_modules=cythonize(extensions, include_path=["pyx"], language_level=3,
                          compiler_directives={"boundscheck": False, "wraparound": False}),
)
