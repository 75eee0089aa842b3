# toolchain-mingw-w64.cmake - cross-build grocket for 64-bit Windows with
# Debian's mingw-w64 (g++-mingw-w64-x86-64-posix) and run what it builds
# under Wine. scripts/build-windows.sh uses it; by hand:
#
#   cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64.cmake \
#         -DGR_MINGW_PREFIX=$PWD/build-windows/third_party
#
# GR_MINGW_PREFIX: where the third-party libraries built for mingw live
# (include/, lib/, lib/pkgconfig/, lib/cmake/GTest/).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

# The -posix flavour: its libstdc++ has std::thread and std::mutex (on
# winpthreads); the -win32 one has not.
set(GR_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${GR_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${GR_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${GR_MINGW_TRIPLE}-windres)
set(CMAKE_AR ${GR_MINGW_TRIPLE}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB ${GR_MINGW_TRIPLE}-gcc-ranlib-posix CACHE FILEPATH "")

# libgcc, libstdc++ and winpthread linked in statically: grocketd.exe, the
# test programs and every .dll module then run without their DLLs on a
# search path (Wine's or a Windows machine's).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")

# ctest, and gtest_discover_tests at build time, run the .exe files
# through Wine (wine-run.sh: quiet, with a wineserver kept between programs).
find_program(GR_WINE wine)
if(GR_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run.sh)
endif()

# Libraries and headers from mingw's sysroot and the third-party prefix
# only, never the build machine's; programs (pkg-config, python) from the
# build machine.
set(CMAKE_FIND_ROOT_PATH /usr/${GR_MINGW_TRIPLE})
if(GR_MINGW_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH ${GR_MINGW_PREFIX})
  # pkg-config reads the prefix's .pc files, never the Linux ones.
  set(ENV{PKG_CONFIG_LIBDIR} ${GR_MINGW_PREFIX}/lib/pkgconfig)
  set(ENV{PKG_CONFIG_PATH} "")
endif()
# The prefixes a project names in CMAKE_PREFIX_PATH (a grocket installed
# from this cross-build, for a module or embedder built out of the tree)
# hold Windows files too: roots as well, or the search below would look for
# them under mingw's sysroot alone.
list(APPEND CMAKE_FIND_ROOT_PATH ${CMAKE_PREFIX_PATH})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
