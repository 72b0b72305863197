# The library for other CMake projects: `cmake --install BUILD --component Development` puts
# libmaskdetect.a, include/maskdetect/*.hpp and lib/cmake/maskdetect/ (maskdetectConfig.cmake)
# under the prefix, so that find_package(maskdetect) gives maskdetect::maskdetect
# (examples/library). Left out of a plain install and of the .deb, which ship the tool.
include(CMakePackageConfigHelpers)
set(MASKDETECT_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/maskdetect")
set_target_properties(maskdetect_lib PROPERTIES OUTPUT_NAME maskdetect EXPORT_NAME maskdetect)
install(TARGETS maskdetect_lib EXPORT maskdetectTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT Development EXCLUDE_FROM_ALL)
install(DIRECTORY include/maskdetect DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT Development EXCLUDE_FROM_ALL)
install(EXPORT maskdetectTargets NAMESPACE maskdetect:: DESTINATION "${MASKDETECT_CMAKE_DIR}"
        COMPONENT Development EXCLUDE_FROM_ALL)
configure_package_config_file(cmake/maskdetectConfig.cmake.in
  "${PROJECT_BINARY_DIR}/cmake/maskdetectConfig.cmake"
  INSTALL_DESTINATION "${MASKDETECT_CMAKE_DIR}"
  PATH_VARS MASKDETECT_INSTALL_MODEL_DIR)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/cmake/maskdetectConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/cmake/maskdetectConfig.cmake"
              "${PROJECT_BINARY_DIR}/cmake/maskdetectConfigVersion.cmake"
        DESTINATION "${MASKDETECT_CMAKE_DIR}" COMPONENT Development EXCLUDE_FROM_ALL)
