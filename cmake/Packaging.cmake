# What makes maskdetect install like a Debian tool: the man page, bash completion and docs that
# `cmake --install` puts under the prefix, and the .deb that CPack builds from the same install
# rules (`cpack -G DEB` in the build folder; scripts/package.sh).

# ---- maskdetect(1), written by help2man from the built binary's own --help ----
# Sanitizer builds skip it: their binary is not what ships, and a leak report at exit would fail
# the build.
find_program(MASKDETECT_HELP2MAN help2man)
find_program(MASKDETECT_GZIP gzip)
set(MASKDETECT_MAN_DIR "${PROJECT_BINARY_DIR}/man")
if(MASKDETECT_SANITIZE)
  message(STATUS "maskdetect(1): not generated in a sanitizer build")
elseif(NOT MASKDETECT_HELP2MAN OR NOT MASKDETECT_GZIP)
  message(WARNING "help2man or gzip is missing (scripts/setup.sh installs them): no man page")
else()
  add_custom_command(
    OUTPUT "${MASKDETECT_MAN_DIR}/maskdetect.1" "${MASKDETECT_MAN_DIR}/maskdetect.1.gz"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${MASKDETECT_MAN_DIR}"
    COMMAND "${CMAKE_COMMAND}" -E env "MASKDETECT_BIN=$<TARGET_FILE:maskdetect>"
            "MASKDETECT_VERSION=${PROJECT_VERSION}"
            "${MASKDETECT_HELP2MAN}" --no-info --section=1 "--manual=User Commands"
            "--name=detect faces and tell whether each wears a mask"
            "--output=${MASKDETECT_MAN_DIR}/maskdetect.1"
            "${PROJECT_SOURCE_DIR}/packaging/help2man-input.sh"
    # -n: no name or time stamp in the .gz, so the same page gives the same bytes (lintian).
    COMMAND "${MASKDETECT_GZIP}" -9nkf "${MASKDETECT_MAN_DIR}/maskdetect.1"
    DEPENDS maskdetect "${PROJECT_SOURCE_DIR}/packaging/help2man-input.sh"
    COMMENT "Generating maskdetect(1) from --help"
    VERBATIM)
  add_custom_target(maskdetect_man ALL
                    DEPENDS "${MASKDETECT_MAN_DIR}/maskdetect.1.gz")
  install(FILES "${MASKDETECT_MAN_DIR}/maskdetect.1.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
endif()

# ---- bash completion, where bash-completion loads it on demand ----
# bash-completion.pc gives an absolute folder under its own prefix; installed relative to ours,
# so that `cmake --install --prefix DIR` stays inside DIR.
pkg_get_variable(_bc_dir bash-completion completionsdir)
pkg_get_variable(_bc_prefix bash-completion prefix)
set(_bc_default "${CMAKE_INSTALL_DATADIR}/bash-completion/completions")
if(_bc_dir AND _bc_prefix AND _bc_dir MATCHES "^${_bc_prefix}/(.+)$")
  set(_bc_default "${CMAKE_MATCH_1}")
endif()
set(MASKDETECT_BASH_COMPLETION_DIR "${_bc_default}" CACHE STRING
    "Folder, relative to the install prefix, for the bash completion script")
install(FILES packaging/maskdetect.bash-completion
        DESTINATION "${MASKDETECT_BASH_COMPLETION_DIR}" RENAME maskdetect)

# ---- the Debian changelog (lintian wants one, gzip'd), its version the project's ----
set(MASKDETECT_MAINTAINER
    "maskdetect maintainers <maintainers@users.noreply.r-seed-ebe5cabe.example>")
# RFC 2822 as Debian changelogs want it; $SOURCE_DATE_EPOCH, when set, fixes it.
string(TIMESTAMP MASKDETECT_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(packaging/changelog.in "${PROJECT_BINARY_DIR}/packaging/changelog" @ONLY)
# gzip'd now, not by a build target: builds of only some targets (scripts/sanitize.sh) can still
# `cmake --install`.
if(MASKDETECT_GZIP)
  execute_process(COMMAND "${MASKDETECT_GZIP}" -9nkf "${PROJECT_BINARY_DIR}/packaging/changelog"
                  RESULT_VARIABLE _gzip_rc)
  if(NOT _gzip_rc EQUAL 0)
    message(FATAL_ERROR "gzip of the changelog failed: ${_gzip_rc}")
  endif()
  install(FILES "${PROJECT_BINARY_DIR}/packaging/changelog.gz"
          DESTINATION "${CMAKE_INSTALL_DOCDIR}")
endif()

# ---- docs: README with docs/ beside it, so that its links work ----
file(GLOB MASKDETECT_DOCS CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/*.md"
     "${PROJECT_SOURCE_DIR}/docs/*.json")
install(FILES README.md packaging/copyright DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(FILES ${MASKDETECT_DOCS} DESTINATION "${CMAKE_INSTALL_DOCDIR}/docs")

# ---- the .deb ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME maskdetect)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${MASKDETECT_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "detect faces and tell whether each wears a mask")
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Finds faces in photos, folders, videos, streams and cameras, decides for each\n"
    "face whether a mask is worn, and writes annotated media plus report.json and\n"
    "report.csv. In videos, faces are tracked. Ships its mask classifier and the\n"
    "YuNet-n face detector; `maskdetect eval` measures both on annotated data.")
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends: the shared libraries the binary links, as dpkg-shlibdeps (dpkg-dev) finds them, plus
# opencv-data for the Haar cascades the default detector loads.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "opencv-data")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/package")
include(CPack)
