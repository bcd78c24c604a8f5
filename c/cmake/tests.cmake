# The checks ctest runs (included by c/CMakeLists.txt when DREDFX_TESTS is on). Labels:
#   unit    c/tests/test_*.c and checkasm (which compares every SIMD kernel with the scalar one)
#   cpu     test_nn at each CPU level (DREDFX_CPU), the level it reports checked
#   qemu    cross builds: test_nn and checkasm again on emulated CPUs that lack a level
#   fuzz    every fuzz target over its seed inputs (c/fuzz/seeds/<target>/)
#   tables  tools/gen_nn_tables.py --check: nn_tables.c is what the generator writes
#   abi     the shared library exports exactly the public functions (DREDFX_SHARED builds)
# Run them in parallel: ctest -j2 (cross builds run everything under qemu-user).
enable_testing()
set(DREDFX_SRC ${CMAKE_CURRENT_SOURCE_DIR}/src)
set(DREDFX_CMAKE ${CMAKE_CURRENT_SOURCE_DIR}/cmake)

file(GLOB DREDFX_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_*.c
     ${CMAKE_CURRENT_SOURCE_DIR}/tests/checkasm.c)
foreach(src ${DREDFX_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${DREDFX_SRC} ${CMAKE_CURRENT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE dredfx m)  # tests compare with libm
  if(NOT name STREQUAL "test_nn")  # test_nn runs once per CPU level below
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS unit)
  endif()
endforeach()

# ---- CPU levels, lowest to highest (c/src/common/cpu.c). test_nn runs at each: the highest
# without DREDFX_CPU (the default choice must be the CPU's best), the others forced.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(DREDFX_CPU_LEVELS scalar avx2 avxvnni avx512vnni)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(DREDFX_CPU_LEVELS scalar neon dotprod)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(arm|armv7.*)$")
  set(DREDFX_CPU_LEVELS scalar neon)
else()
  set(DREDFX_CPU_LEVELS scalar)
endif()
list(GET DREDFX_CPU_LEVELS -1 DREDFX_TOP_LEVEL)
string(REPLACE ";" "," DREDFX_LEVELS_ARG "${DREDFX_CPU_LEVELS}")
# ctest driver: runs test_nn and checks its status and the level it reports. The command goes in
# as one -D value with its words joined by "|": CMake 3.25 reads the words after "-P script --" as
# its own options too (qemu's -L became CMake's -L).
set(DREDFX_RUN_LEVEL ${CMAKE_COMMAND} -DLEVELS=${DREDFX_LEVELS_ARG})
set(DREDFX_RUN_LEVEL_SCRIPT -P ${DREDFX_CMAKE}/run_cpu_level.cmake)
function(dredfx_run_command out)
  string(REPLACE ";" "|" joined "${ARGN}")
  set(${out} "-DCOMMAND=${joined}" PARENT_SCOPE)
endfunction()

if(TARGET test_nn)
  # qemu's "max" CPU (the toolchain files' emulator) has every level of its architecture.
  set(expect_max "")
  if(CMAKE_CROSSCOMPILING_EMULATOR)
    set(expect_max -DEXPECT_MAX=${DREDFX_TOP_LEVEL})
  endif()
  dredfx_run_command(run_test_nn ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:test_nn>)
  foreach(level ${DREDFX_CPU_LEVELS})
    if(level STREQUAL DREDFX_TOP_LEVEL)
      add_test(NAME test_nn COMMAND ${DREDFX_RUN_LEVEL} ${expect_max} ${run_test_nn} ${DREDFX_RUN_LEVEL_SCRIPT})
      set_tests_properties(test_nn PROPERTIES LABELS "unit;cpu")
    else()
      add_test(NAME test_nn.cpu=${level}
               COMMAND ${DREDFX_RUN_LEVEL} -DLEVEL=${level} ${expect_max} ${run_test_nn} ${DREDFX_RUN_LEVEL_SCRIPT})
      set_tests_properties(test_nn.cpu=${level} PROPERTIES LABELS cpu)
    endif()
  endforeach()

  # Emulated CPUs that lack the top level (toolchain files: DREDFX_QEMU_SMALL_CPUS, each
  # "cpu=its highest level"): the run-time check must fall back, also when the top level is
  # asked for (a warning, then the CPU's highest), and checkasm must pass on the SIMD levels left.
  foreach(pair ${DREDFX_QEMU_SMALL_CPUS})
    string(REPLACE "=" ";" pair ${pair})
    list(GET pair 0 cpu)
    list(GET pair 1 cpu_max)
    set(qemu ${DREDFX_QEMU} -cpu ${cpu})
    dredfx_run_command(run_small ${qemu} $<TARGET_FILE:test_nn>)
    add_test(NAME test_nn.qemu=${cpu}
             COMMAND ${DREDFX_RUN_LEVEL} -DEXPECT_MAX=${cpu_max} ${run_small} ${DREDFX_RUN_LEVEL_SCRIPT})
    add_test(NAME test_nn.qemu=${cpu}.cpu=${DREDFX_TOP_LEVEL}
             COMMAND ${DREDFX_RUN_LEVEL} -DLEVEL=${DREDFX_TOP_LEVEL} -DEXPECT_MAX=${cpu_max}
             "-DEXPECT_STDERR=DREDFX_CPU=${DREDFX_TOP_LEVEL} is not supported by this CPU; using ${cpu_max}"
             ${run_small} ${DREDFX_RUN_LEVEL_SCRIPT})
    set_tests_properties(test_nn.qemu=${cpu} test_nn.qemu=${cpu}.cpu=${DREDFX_TOP_LEVEL}
                         PROPERTIES LABELS "cpu;qemu")
    if(TARGET checkasm AND NOT cpu_max STREQUAL "scalar")
      add_test(NAME checkasm.qemu=${cpu} COMMAND ${qemu} $<TARGET_FILE:checkasm>)
      set_tests_properties(checkasm.qemu=${cpu} PROPERTIES LABELS qemu)
    endif()
  endforeach()
endif()

# ---- Fuzz targets: libFuzzer programs (DREDFX_FUZZ, clang; scripts/fuzz.sh runs them) or, in
# every other build, linked with a main that replays files. Either way ctest runs each over its
# committed seeds, which must exist.
file(GLOB DREDFX_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_*.c)
list(FILTER DREDFX_FUZZ_SOURCES EXCLUDE REGEX "/fuzz_opus_[^/]*$")  # c/opus/CMakeLists.txt's
foreach(src ${DREDFX_FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  if(DREDFX_FUZZ)
    add_executable(${name} ${src})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set(replay -runs=0)  # libFuzzer: run the given inputs once, no fuzzing
  else()
    add_executable(${name} ${src} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/replay_main.c)
    set(replay "")
  endif()
  target_include_directories(${name} PRIVATE ${DREDFX_SRC})
  target_link_libraries(${name} PRIVATE dredfx m)
  add_test(NAME ${name}.seeds
           COMMAND ${name} ${replay} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/seeds/${name})
  set_tests_properties(${name}.seeds PROPERTIES LABELS fuzz)
endforeach()

# ---- Generated tables: committed c/src/nn/nn_tables.c == what the generator writes now. Native
# builds only (the file does not depend on the target); the tool lives outside c/.
set(DREDFX_GEN_TABLES ${CMAKE_CURRENT_SOURCE_DIR}/../tools/gen_nn_tables.py)
if(NOT CMAKE_CROSSCOMPILING AND EXISTS ${DREDFX_GEN_TABLES})
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    add_test(NAME nn_tables COMMAND ${Python3_EXECUTABLE} ${DREDFX_GEN_TABLES} --check)
    set_tests_properties(nn_tables PROPERTIES LABELS tables)
  endif()
endif()

# ---- ABI: libdredfx.so exports the DREDFX_EXPORT functions of dredfx.h, nothing else.
if(DREDFX_SHARED)
  add_test(NAME abi.exports COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM}
           -DLIB=$<TARGET_FILE:dredfx_shared> -DHEADER=${CMAKE_CURRENT_SOURCE_DIR}/include/dredfx.h
           -P ${DREDFX_CMAKE}/check_exports.cmake)
  set_tests_properties(abi.exports PROPERTIES LABELS abi)
endif()
