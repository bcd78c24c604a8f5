set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
# Baseline armv7 (VFPv3-D16, no NEON): only the NEON kernels get -mfpu=neon (c/CMakeLists.txt),
# and the run-time check (AT_HWCAP) chooses them. ctest runs every test under qemu's "max" CPU
# (NEON), and test_nn and checkasm again on each DREDFX_QEMU_SMALL_CPUS entry ("cpu=its highest
# level", c/cmake/tests.cmake), where the run-time check must fall back.
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard")
set(DREDFX_QEMU qemu-arm -L /usr/arm-linux-gnueabihf)
set(CMAKE_CROSSCOMPILING_EMULATOR ${DREDFX_QEMU} -cpu max)
set(DREDFX_QEMU_SMALL_CPUS cortex-r5f=scalar)  # Cortex-R5F: VFPv3-D16 without NEON
