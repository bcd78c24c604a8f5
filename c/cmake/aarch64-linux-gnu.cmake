set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# Baseline armv8-a: NEON is always there; dotprod kernels carry their own target attribute and
# are chosen at run time. ctest runs every test under qemu's "max" CPU (NEON + dotprod), and
# test_nn and checkasm again on each DREDFX_QEMU_SMALL_CPUS entry ("cpu=its highest level",
# c/cmake/tests.cmake), where the run-time check must fall back.
set(DREDFX_QEMU qemu-aarch64 -L /usr/aarch64-linux-gnu)
set(CMAKE_CROSSCOMPILING_EMULATOR ${DREDFX_QEMU} -cpu max)
set(DREDFX_QEMU_SMALL_CPUS cortex-a53=neon)  # Cortex-A53: armv8.0-a, no dotprod
