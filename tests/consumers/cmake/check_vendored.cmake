# A vendored smtpwire (add_subdirectory, FetchContent) must add its library target and
# nothing else: no tests, examples, fuzzers or warning targets, no subdirectories.

# Fails the configure step unless the smtpwire directory at `source_dir` defines only
# the target smtpwire (its alias smtpwire::smtpwire is not listed) and no subdirectory.
function(check_vendored source_dir)
  get_directory_property(targets DIRECTORY ${source_dir} BUILDSYSTEM_TARGETS)
  get_directory_property(subdirectories DIRECTORY ${source_dir} SUBDIRECTORIES)
  if(NOT targets STREQUAL "smtpwire" OR subdirectories)
    message(FATAL_ERROR "vendored smtpwire added targets [${targets}] "
                        "and subdirectories [${subdirectories}]; expected only [smtpwire]")
  endif()
  if(NOT TARGET smtpwire::smtpwire)
    message(FATAL_ERROR "vendored smtpwire has no target smtpwire::smtpwire")
  endif()
endfunction()
