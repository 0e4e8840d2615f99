# ctest's Meson consumer test: tests/consumers/meson/ as a project in BINARY_DIR with
# SOURCE_DIR linked as subprojects/smtpwire, set up, built, checked and run.
# Inputs (-D): MESON CXX SOURCE_DIR CONSUMERS_DIR BINARY_DIR.
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

set(project ${BINARY_DIR}/project)
set(build ${BINARY_DIR}/build)
file(REMOVE_RECURSE ${BINARY_DIR})
file(MAKE_DIRECTORY ${project}/subprojects)
file(COPY ${CONSUMERS_DIR}/meson/meson.build ${CONSUMERS_DIR}/program/consumer.cpp
     DESTINATION ${project})
file(CREATE_LINK ${SOURCE_DIR} ${project}/subprojects/smtpwire SYMBOLIC)

# --force-fallback-for: the subproject even when an installed smtpwire.pc is found.
set(ENV{CXX} ${CXX})
run_step("meson setup" ${MESON} setup --force-fallback-for=smtpwire ${build} ${project})
run_step("meson compile" ${MESON} compile -C ${build})

# smtpwire as a subproject builds nothing of its own: the consumer is the only target.
execute_process(COMMAND ${MESON} introspect --targets ${build}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE targets)
string(JSON count ERROR_VARIABLE json_error LENGTH "${targets}")
if(NOT result EQUAL 0 OR NOT count EQUAL 1)
  message(FATAL_ERROR "expected the consumer as the only target, got:\n${targets}")
endif()
run_step("run" ${build}/consumer)
