# The consumer projects' executable: program/consumer.cpp with the warnings a strict
# user turns into errors, smtpwire's include directory not marked SYSTEM.
set(smtpwire_consumer_program ${CMAKE_CURRENT_LIST_DIR}/../program/consumer.cpp)

# Adds the executable `name` linked to smtpwire::smtpwire.
function(add_consumer_program name)
  add_executable(${name} ${smtpwire_consumer_program})
  target_link_libraries(${name} PRIVATE smtpwire::smtpwire)
  target_compile_options(${name} PRIVATE
    -Wall -Wextra -Wconversion -Wsign-conversion -Werror)
  # Headers of imported targets (find_package) are SYSTEM unless told otherwise.
  set_target_properties(${name} PROPERTIES NO_SYSTEM_FROM_IMPORTED ON)
endfunction()
