# `cmake --install BUILD --prefix P` puts troupe where another CMake project finds it:
#   find_package(troupe REQUIRED)   target_link_libraries(app PRIVATE troupe::troupe)
# Headers go to P/include/troupe/{core,collections}/ with the forwarding <troupe/troupe.hpp>;
# the static libraries and the package files (cmake/troupeConfig.cmake.in) to P/lib.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The library everything links (`troupe` is the command's executable, so it is exported under
# that name only).
add_library(troupe_library INTERFACE)
target_link_libraries(troupe_library INTERFACE troupe_collections)
set_target_properties(troupe_library PROPERTIES EXPORT_NAME troupe)

install(TARGETS troupe_library troupe_collections troupe_actors troupe_net troupe_nvml troupe_core EXPORT troupe_targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The array collection (collections/array.hpp, kernels/) is not installed yet.
install(DIRECTORY core collections actors net DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/troupe
        FILES_MATCHING PATTERN "*.hpp" PATTERN "array.hpp" EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/include/troupe/troupe.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/troupe)
install(EXPORT troupe_targets NAMESPACE troupe:: FILE troupeTargets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/troupe)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/troupeConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/troupeConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/troupe)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/troupeConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/troupeConfig.cmake ${PROJECT_BINARY_DIR}/troupeConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/troupe)
