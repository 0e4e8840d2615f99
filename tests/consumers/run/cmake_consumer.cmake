# ctest's CMake consumer tests: configure PROJECT_DIR into a fresh BINARY_DIR, build
# it and run its program; or, with EXPECT_ERROR set, require configuring to fail so.
# Inputs (-D): PROJECT_DIR BINARY_DIR GENERATOR CXX_COMPILER [EXPECT_ERROR], and
# whichever of the consumer settings listed below the project reads.
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

set(configure_args -S ${PROJECT_DIR} -B ${BINARY_DIR} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Debug)
foreach(setting IN ITEMS SMTPWIRE_SOURCE_DIR SMTPWIRE_GIT_REPOSITORY SMTPWIRE_GIT_TAG
                        CMAKE_PREFIX_PATH SMTPWIRE_WANTED_VERSION)
  if(DEFINED ${setting})
    list(APPEND configure_args -D${setting}=${${setting}})
  endif()
endforeach()

file(REMOVE_RECURSE ${BINARY_DIR})
if(DEFINED EXPECT_ERROR)
  execute_process(COMMAND ${CMAKE_COMMAND} ${configure_args}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  string(FIND "${output}" "${EXPECT_ERROR}" error_at)
  if(result EQUAL 0 OR error_at EQUAL -1)
    message(FATAL_ERROR "configuring was to fail with \"${EXPECT_ERROR}\" (${result}):\n${output}")
  endif()
  message(STATUS "configure failed as expected: ${EXPECT_ERROR}")
  return()
endif()
run_step("configure" ${CMAKE_COMMAND} ${configure_args})
run_step("build" ${CMAKE_COMMAND} --build ${BINARY_DIR})
run_step("run" ${BINARY_DIR}/consumer)
