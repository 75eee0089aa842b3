# grocketModule.cmake - grocket_add_module(): build a grocket module.
#
# Used by this tree for its own modules and installed with the CMake package
# (find_package(grocket CONFIG) includes it), so a module is built the same
# way in the tree and out of it.
#
#   grocket_add_module(<name> SOURCES <file>... [OUTPUT_DIRECTORY <dir>])
#
# makes lib<name>.so, a MODULE library: it is dlopen()ed by grocketd (or by
# libgrocket in an embedder) and links nothing from grocket; it only sees
# the public headers (grocket::headers: grocket.h). Symbols are hidden by
# default, so the module exports gr_module_entry (marked GR_MODULE_EXPORT)
# and nothing else. Add the module's own dependencies with
# target_link_libraries(<name> PRIVATE ...) as usual.
function(grocket_add_module name)
  cmake_parse_arguments(GRM "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT GRM_SOURCES)
    message(FATAL_ERROR "grocket_add_module(${name}): no SOURCES")
  endif()
  if(GRM_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "grocket_add_module(${name}): unexpected arguments: ${GRM_UNPARSED_ARGUMENTS}")
  endif()
  add_library(${name} MODULE ${GRM_SOURCES})
  target_link_libraries(${name} PRIVATE grocket::headers)
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    POSITION_INDEPENDENT_CODE ON)
  if(GRM_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${GRM_OUTPUT_DIRECTORY}")
  endif()
endfunction()
