# For the consumer tests' scripts (cmake -P): run one step of a test and stop the
# test, with the step's output, when it fails.

# Runs the command in ARGN; on a nonzero exit prints its output and fails as `what`.
function(run_step what)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${what} failed (${result}):\n${output}")
  endif()
  message(STATUS "${what}: ok")
endfunction()
