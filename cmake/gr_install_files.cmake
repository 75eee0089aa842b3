# gr_install_files.cmake - run by `cmake --install` (see gr_install.cmake):
# writes the installed grocketd.ini, kv.ini, grocketd.service and the
# logrotate snippet with the paths of this installation, then installs them
# (Windows: the two .ini files alone).
#
# Directories follow GNUInstallDirs: relative ones are under the prefix,
# except that with the prefix /usr (or /) the configuration lives in /etc
# and logs in /var.

function(gr_abs out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

set(_system_prefix OFF)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
  set(_system_prefix ON)
endif()
gr_abs(_bindir "${GR_BINDIR}")
gr_abs(_moduledir "${GR_MODULEDIR}")
gr_abs(_docdir "${GR_DOCDIR}")
if(_system_prefix AND NOT IS_ABSOLUTE "${GR_SYSCONFDIR}")
  set(_sysconfdir "/${GR_SYSCONFDIR}")
else()
  gr_abs(_sysconfdir "${GR_SYSCONFDIR}")
endif()
if(_system_prefix AND NOT IS_ABSOLUTE "${GR_LOCALSTATEDIR}")
  set(_localstatedir "/${GR_LOCALSTATEDIR}")
else()
  gr_abs(_localstatedir "${GR_LOCALSTATEDIR}")
endif()
if(GR_SYSTEMD_UNITDIR)
  gr_abs(_unitdir "${GR_SYSTEMD_UNITDIR}")
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/")
  set(_unitdir "/lib/systemd/system")
else()
  set(_unitdir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(_confdir "${_sysconfdir}/grocket")
set(_logdir "${_localstatedir}/log/grocket")

file(MAKE_DIRECTORY "${GR_GEN_DIR}")

# grocketd.ini and kv.ini: conf/NAME with the module of this installation
# and no pid file (under systemd grocketd runs in the foreground; set
# pid_file with daemon = true). Windows: the module relative to the
# configuration's folder, with backslashes: the tree is installed here and
# copied to a Windows machine, where this prefix means nothing; and the pid
# file kept (beside the configuration): `grocketd -s stop|reload|reopen`
# finds the server through it. header: what replaces the file's first line.
# A comment's `grocketd -c conf/NAME` is made to name the installed file
# (on Windows relative to the installation's folder).
function(gr_install_ini name module_file header)
  if(GR_WINDOWS)
    file(RELATIVE_PATH _module "${_confdir}" "${_moduledir}/${module_file}")
    string(REPLACE "/" "\\" _module "${_module}")
  else()
    set(_module "${_moduledir}/${module_file}")
  endif()
  file(READ "${GR_SRC}/conf/${name}" _ini)
  # (Through a placeholder: a backslash means something to REGEX REPLACE.)
  string(REGEX REPLACE "\nmodule = [^\n]*" "\nmodule = @GR_MODULE@" _ini "${_ini}")
  string(REPLACE "@GR_MODULE@" "${_module}" _ini "${_ini}")
  if(GR_WINDOWS)
    file(RELATIVE_PATH _conf "${CMAKE_INSTALL_PREFIX}" "${_confdir}/${name}")
    string(REPLACE "/" "\\" _conf "${_conf}")
    string(REPLACE "grocketd -c conf/${name}" "grocketd.exe -c ${_conf}" _ini "${_ini}")
  else()
    string(REGEX REPLACE "\npid_file = [^\n]*" "\npid_file =" _ini "${_ini}")
    string(REPLACE "grocketd -c conf/${name}" "grocketd -c ${_confdir}/${name}" _ini "${_ini}")
  endif()
  string(REGEX REPLACE "^; ${name} - [^\n]*\n" "${header}" _ini "${_ini}")
  file(WRITE "${GR_GEN_DIR}/${name}" "${_ini}")
  file(INSTALL DESTINATION "${_confdir}" TYPE FILE FILES "${GR_GEN_DIR}/${name}")
endfunction()

gr_install_ini(grocketd.ini "${GR_DEMO_FILE}"
  "; grocketd.ini - the configuration of the installed grocketd (written by\n; cmake --install from conf/grocketd.ini: module and pid_file differ).\n")
# (kv.ini's first sentence goes on into its second line.)
gr_install_ini(kv.ini "${GR_KV_FILE}"
  "; kv.ini (written by cmake --install from conf/kv.ini: module and pid_file\n; differ) - grocketd serving the kv module: a Redis-protocol cache on port\n")
if(GR_WINDOWS)
  return()
endif()

set(GR_BINDIR_ABS "${_bindir}")
set(GR_CONFDIR_ABS "${_confdir}")
set(GR_LOGDIR_ABS "${_logdir}")
set(GR_DOCDIR_ABS "${_docdir}")
configure_file("${GR_SRC}/dist/grocketd.service.in" "${GR_GEN_DIR}/grocketd.service" @ONLY)
configure_file("${GR_SRC}/dist/grocketd.logrotate.in" "${GR_GEN_DIR}/grocketd" @ONLY)

file(INSTALL DESTINATION "${_sysconfdir}/logrotate.d" TYPE FILE FILES "${GR_GEN_DIR}/grocketd")
file(INSTALL DESTINATION "${_unitdir}" TYPE FILE FILES "${GR_GEN_DIR}/grocketd.service")
