set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# Baseline armv8-a: NEON is always there; dotprod kernels carry their own target attribute and
# are chosen at run time. qemu's "max" CPU has dotprod; DREDFX_QEMU_CPU=cortex-a53 tests without.
if(NOT DEFINED ENV{DREDFX_QEMU_CPU})
  set(DREDFX_QEMU_CPU max)
else()
  set(DREDFX_QEMU_CPU $ENV{DREDFX_QEMU_CPU})
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-cpu;${DREDFX_QEMU_CPU};-L;/usr/aarch64-linux-gnu)
