# ctest's fixture for the installed-package consumers: configure SOURCE_DIR with the
# `install` preset into BINARY_DIR and install it into a fresh PREFIX.
# Inputs (-D): SOURCE_DIR BINARY_DIR PREFIX.
include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

file(REMOVE_RECURSE ${BINARY_DIR} ${PREFIX})
run_step("configure (install preset)" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR}
         --preset install -DCMAKE_INSTALL_PREFIX=${PREFIX})
run_step("install" ${CMAKE_COMMAND} --install ${BINARY_DIR})
foreach(installed IN ITEMS include/smtpwire/smtpwire.hpp
                           share/cmake/smtpwire/smtpwireConfigVersion.cmake
                           share/pkgconfig/smtpwire.pc)
  if(NOT EXISTS ${PREFIX}/${installed})
    message(FATAL_ERROR "cmake --install did not write ${PREFIX}/${installed}")
  endif()
endforeach()
