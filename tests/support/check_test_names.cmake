# Fails when a Catch2 test case name holds ';': catch_discover_tests() splits such a name
# into two ctest tests that match no case, run nothing and pass.
#   cmake -DTEST_DIR=<tests/> -P check_test_names.cmake
file(GLOB_RECURSE sources "${TEST_DIR}/*.cpp")
set(bad "")
foreach(source IN LISTS sources)
  file(READ "${source}" text)
  string(REGEX MATCHALL "TEST_CASE\\(\"[^\"]*;[^\"]*\"" hits "${text}")
  if(hits)
    string(APPEND bad "${source}\n")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "test names with ';' in:\n${bad}")
endif()
