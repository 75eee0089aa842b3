# gr_install.cmake - what `cmake --install` puts where (included by the top
# CMakeLists.txt after every target exists).
#
#   bin/                    grocketd, test_tcp_client
#   lib/                    libgrocket.so (+ soname links), libgrocket.a
#   lib/grocket/modules/    the modules: demo, kv
#   lib/cmake/grocket/      the CMake package (grocketConfig.cmake, targets,
#                           grocketModule.cmake with grocket_add_module)
#   lib/pkgconfig/          grocket.pc
#   include/grocket/        grocket.h, libgrocket.h
#   etc/grocket/            grocketd.ini (the default configuration, its
#                           module path pointing at the installed demo) and
#                           kv.ini (the kv module's, pointing at installed kv)
#   etc/logrotate.d/        grocketd
#   lib/systemd/system/     grocketd.service
#   share/doc/grocket/      README and docs
# (lib is CMAKE_INSTALL_LIBDIR; with the prefix /usr, etc/ is /etc.)
#
# The Windows cross-build installs the same tree but for: grocketd.exe and
# libgrocket.dll in bin/ (its import library libgrocket.dll.a in lib/), the
# demo as libdemo.dll, no test_tcp_client, systemd unit nor logrotate
# snippet; and lib/grocket/third_party/ with the inih and http-parser it
# built for mingw (scripts/build-windows.sh): no package manager provides
# them there, and grocket::grocket_static needs them.
include(CMakePackageConfigHelpers)

# A build on the tests' kqueue shim (GR_POLL_BACKEND=kqueue on Linux) links
# a stand-in for a kernel facility: it is for tests, and installing it
# would ship the shim inside libgrocket. Refuse before anything is copied.
if(GR_KQUEUE_SHIM)
  install(CODE "message(FATAL_ERROR \"grocket: this build runs the kqueue backend on the tests' kqueue shim (tests/kqueue_shim) and is never installed; install an epoll or poll build\")")
endif()

set(GR_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/grocket)
set(GR_SYSTEMD_UNITDIR "" CACHE STRING "Where grocketd.service is installed (default: lib/systemd/system under the prefix)")

# test_tcp_client is not built for Windows (the top CMakeLists.txt).
set(GR_INSTALL_PROGRAMS grocketd)
if(TARGET test_tcp_client)
  list(APPEND GR_INSTALL_PROGRAMS test_tcp_client)
endif()
install(TARGETS grocket_shared grocket_headers ${GR_INSTALL_PROGRAMS} EXPORT grocketTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The static library in an export set of its own: grocketConfig.cmake loads
# it only when its dependencies are found.
install(TARGETS grocket_static EXPORT grocketStaticTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/grocket.h ${PROJECT_SOURCE_DIR}/include/libgrocket.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/grocket)

# The CMake package.
install(EXPORT grocketTargets NAMESPACE grocket:: DESTINATION ${GR_INSTALL_CMAKEDIR})
install(EXPORT grocketStaticTargets NAMESPACE grocket:: DESTINATION ${GR_INSTALL_CMAKEDIR})
if(TARGET PkgConfig::TCMALLOC)
  set(GR_WITH_TCMALLOC ON)
else()
  set(GR_WITH_TCMALLOC OFF)
endif()
# The static library's third-party libraries: found by grocketConfig.cmake
# where the system keeps them, or (Windows) installed with grocket.
set(GR_INSTALL_THIRD_PARTY_DIR ${CMAKE_INSTALL_LIBDIR}/grocket/third_party)
set(GR_THIRD_PARTY_NAMES "")
if(WIN32)
  # The full paths pkg-config resolved for inih, and http-parser's.
  set(_gr_tp ${INIH_LINK_LIBRARIES} ${HTTP_PARSER_LIBRARY})
  install(FILES ${_gr_tp} DESTINATION ${GR_INSTALL_THIRD_PARTY_DIR})
  foreach(f ${_gr_tp})
    get_filename_component(n "${f}" NAME)
    list(APPEND GR_THIRD_PARTY_NAMES "${n}")
  endforeach()
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/grocketConfig.cmake.in
  ${CMAKE_BINARY_DIR}/install/grocketConfig.cmake
  INSTALL_DESTINATION ${GR_INSTALL_CMAKEDIR}
  PATH_VARS GR_INSTALL_MODULEDIR GR_INSTALL_THIRD_PARTY_DIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/install/grocketConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_BINARY_DIR}/install/grocketConfig.cmake
  ${CMAKE_BINARY_DIR}/install/grocketConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/grocketModule.cmake
  DESTINATION ${GR_INSTALL_CMAKEDIR})

# pkg-config: paths relative to the .pc file, so the tree can move.
set(GR_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
function(gr_pc_path out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${GR_PC_DIR}")
  set(GR_PC_RELPREFIX "${CMAKE_INSTALL_PREFIX}")
  set(GR_PC_RELPREFIX_IS_ABS ON)
else()
  file(RELATIVE_PATH GR_PC_RELPREFIX /p/${GR_PC_DIR} /p)
  string(REGEX REPLACE "/$" "" GR_PC_RELPREFIX "${GR_PC_RELPREFIX}")
endif()
gr_pc_path(GR_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
gr_pc_path(GR_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/grocket")
gr_pc_path(GR_PC_MODULEDIR "${GR_INSTALL_MODULEDIR}")
set(GR_PC_TCMALLOC "")
if(GR_WITH_TCMALLOC)
  set(GR_PC_TCMALLOC ", libtcmalloc_minimal")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/grocket.pc.in ${CMAKE_BINARY_DIR}/install/grocket.pc @ONLY)
if(GR_PC_RELPREFIX_IS_ABS)
  file(READ ${CMAKE_BINARY_DIR}/install/grocket.pc _pc)
  string(REPLACE "\${pcfiledir}/" "" _pc "${_pc}")
  file(WRITE ${CMAKE_BINARY_DIR}/install/grocket.pc "${_pc}")
endif()
install(FILES ${CMAKE_BINARY_DIR}/install/grocket.pc DESTINATION ${GR_PC_DIR})

# Files that name installed paths (the configuration's module, the unit's
# ExecStart, the log directory) are written at install time, so that
# `cmake --install --prefix DIR` gets DIR in them (cmake/gr_install_files.cmake).
install(CODE "
set(GR_SRC \"${PROJECT_SOURCE_DIR}\")
set(GR_GEN_DIR \"${CMAKE_BINARY_DIR}/install/generated\")
set(GR_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(GR_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
set(GR_LOCALSTATEDIR \"${CMAKE_INSTALL_LOCALSTATEDIR}\")
set(GR_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
set(GR_MODULEDIR \"${GR_INSTALL_MODULEDIR}\")
set(GR_SYSTEMD_UNITDIR \"${GR_SYSTEMD_UNITDIR}\")
set(GR_DEMO_FILE \"$<TARGET_FILE_NAME:demo>\")
set(GR_KV_FILE \"$<TARGET_FILE_NAME:kv>\")
set(GR_WINDOWS \"${WIN32}\")
include(\"${PROJECT_SOURCE_DIR}/cmake/gr_install_files.cmake\")
")

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
