# Installs the CMake package and the pkg-config file for the freestanding core.
if(NOT TARGET bootmap_core_freestanding)
  return()
endif()
include(CMakePackageConfigHelpers)
set(cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/bootmap)
install(EXPORT bootmapTargets NAMESPACE bootmap:: DESTINATION ${cmake_dir}
        FILE bootmapTargets.cmake COMPONENT core)
# The config also carries the flags the library was built with, for consumers' own code.
list(JOIN BOOTMAP_FREESTANDING_FLAGS " " BOOTMAP_FREESTANDING_FLAGS_STRING)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/bootmapConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/bootmapConfig.cmake INSTALL_DESTINATION ${cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bootmapConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/bootmapConfig.cmake ${PROJECT_BINARY_DIR}/bootmapConfigVersion.cmake
        DESTINATION ${cmake_dir} COMPONENT core)
# pkg-config: the prefix relative to the .pc file's own folder, so `cmake --install --prefix`
# (and moving the tree) keeps it right.
file(RELATIVE_PATH pc_to_prefix /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/bootmap-core.pc.in ${PROJECT_BINARY_DIR}/bootmap-core.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/bootmap-core.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT core)
