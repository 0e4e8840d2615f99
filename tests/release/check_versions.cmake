# ctest's release.versions: the version macros in version.hpp, version_string, the
# CMake project version, the Meson project version and CHANGELOG.md's latest agree.
# Inputs (-D): SOURCE_DIR CMAKE_VERSION_OF_PROJECT.

# The text of the first match of `regex` in `file`, its first group, in `out`.
function(read_version out file regex)
  file(STRINGS ${file} lines REGEX "${regex}")
  if(NOT lines)
    message(FATAL_ERROR "no line matching ${regex} in ${file}")
  endif()
  list(GET lines 0 line)
  string(REGEX MATCH "${regex}" line "${line}")
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

set(version_hpp ${SOURCE_DIR}/include/smtpwire/version.hpp)
read_version(major ${version_hpp} "^#define SMTPWIRE_VERSION_MAJOR ([0-9]+)$")
read_version(minor ${version_hpp} "^#define SMTPWIRE_VERSION_MINOR ([0-9]+)$")
read_version(patch ${version_hpp} "^#define SMTPWIRE_VERSION_PATCH ([0-9]+)$")
read_version(string ${version_hpp} "version_string = \"([0-9.]+)\";")
read_version(meson ${SOURCE_DIR}/meson.build "^  version: '([0-9.]+)',$")
read_version(changelog ${SOURCE_DIR}/CHANGELOG.md "^## \\[([0-9]+\\.[0-9]+\\.[0-9]+)\\]")

set(macros ${major}.${minor}.${patch})
message(STATUS "version.hpp macros ${macros}, version_string ${string}, "
               "CMake ${CMAKE_VERSION_OF_PROJECT}, Meson ${meson}, CHANGELOG.md ${changelog}")
foreach(other IN ITEMS string CMAKE_VERSION_OF_PROJECT meson changelog)
  if(NOT "${${other}}" STREQUAL "${macros}")
    message(FATAL_ERROR "version mismatch: ${other} is ${${other}}, version.hpp says ${macros}")
  endif()
endforeach()
