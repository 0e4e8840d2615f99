# ctest's fixture for the FetchContent GIT_REPOSITORY consumer: a new repository in
# REPOSITORY_DIR whose commit, tagged `snapshot`, holds SOURCE_DIR's working tree.
# Inputs (-D): GIT SOURCE_DIR REPOSITORY_DIR.
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

# The files git would commit: tracked ones as they are now, and untracked ones not
# ignored, so uncommitted work is tested too. SOURCE_DIR is only read; it may belong to
# another user (CI as root), hence safe.directory for this one command.
execute_process(
  COMMAND ${GIT} -c safe.directory=* -C ${SOURCE_DIR}
          ls-files --cached --others --exclude-standard
  RESULT_VARIABLE result
  OUTPUT_VARIABLE files
  ERROR_VARIABLE error
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "git ls-files in ${SOURCE_DIR} failed:\n${error}")
endif()
string(REPLACE "\n" ";" files "${files}")

file(REMOVE_RECURSE ${REPOSITORY_DIR})
foreach(file IN LISTS files)
  # A tracked file deleted in the working tree is listed but absent.
  if(EXISTS ${SOURCE_DIR}/${file})
    get_filename_component(directory ${REPOSITORY_DIR}/${file} DIRECTORY)
    file(COPY ${SOURCE_DIR}/${file} DESTINATION ${directory})
  endif()
endforeach()

set(git ${GIT} -C ${REPOSITORY_DIR} -c user.name=smtpwire -c user.email=smtpwire@localhost
    -c commit.gpgsign=false)
run_step("git init" ${git} init --quiet)
run_step("git add" ${git} add --all)
run_step("git commit" ${git} commit --quiet --message snapshot)
run_step("git tag" ${git} tag snapshot)
