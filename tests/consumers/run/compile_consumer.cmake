# ctest's build-system-free consumer tests: compile program/consumer.cpp with CXX
# alone, finding smtpwire with -I INCLUDE_DIR or with pkg-config, then run it.
# Inputs (-D): CXX PROGRAM BINARY_DIR, and INCLUDE_DIR or PKG_CONFIG and PKG_CONFIG_PATH.
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

if(DEFINED PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} ${PKG_CONFIG_PATH})
  execute_process(COMMAND ${PKG_CONFIG} --cflags "smtpwire >= 0.1"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE cflags
    ERROR_VARIABLE error
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config found no smtpwire >= 0.1 in ${PKG_CONFIG_PATH}:\n${error}")
  endif()
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
else()
  set(cflags -I${INCLUDE_DIR})
endif()

file(REMOVE_RECURSE ${BINARY_DIR})
file(MAKE_DIRECTORY ${BINARY_DIR})
run_step("compile with ${CXX}" ${CXX} -std=c++17 ${cflags}
         -Wall -Wextra -Wconversion -Wsign-conversion -Wold-style-cast -Wundef -Werror
         ${PROGRAM} -o ${BINARY_DIR}/consumer)
run_step("run" ${BINARY_DIR}/consumer)
