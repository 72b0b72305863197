# Run at every build (cmake -P): writes OUT, a header with the commit the binary is built from,
# so that `maskdetect --version` names it. The file is rewritten only when the commit changes, so
# that only main.cc recompiles after a new commit. Outside a clone (a source tarball) the commit is
# empty. "-dirty" marks tracked files changed since that commit.
find_package(Git QUIET)
set(commit "")
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0)
    set(commit "")  # e.g. git refuses a clone owned by another user
  else()
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" diff --quiet HEAD --
                    RESULT_VARIABLE dirty ERROR_QUIET)
    if(dirty EQUAL 1)
      string(APPEND commit "-dirty")
    endif()
  endif()
endif()
string(CONCAT text "// Generated at build time by cmake/GitCommit.cmake.\n#pragma once\n\n"
         "namespace maskdetect::config {\n"
         "inline constexpr const char* kGitCommit = \"${commit}\";\n"
         "}  // namespace maskdetect::config\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
