# Runs at install time (see deploy/CMakeLists.txt): writes the systemd unit with the
# paths of this install's prefix, and a first configuration file.

# A directory given relative to the prefix, made absolute against this install's prefix.
function(tg_absolute out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

tg_absolute(TG_BINDIR "${TG_REL_BINDIR}")
# As GNUInstallDirs does: a /usr install keeps its configuration in /etc, not /usr/etc.
if(CMAKE_INSTALL_PREFIX MATCHES "^/(usr/?)?$" AND NOT IS_ABSOLUTE "${TG_REL_SYSCONFDIR}")
  set(sysconfdir "/${TG_REL_SYSCONFDIR}")
else()
  tg_absolute(sysconfdir "${TG_REL_SYSCONFDIR}")
endif()
tg_absolute(unitdir "${TG_REL_UNITDIR}")
set(TG_CONFDIR "${sysconfdir}/tenant-gateway")

# The unit points at the final paths; file(INSTALL) adds DESTDIR for staged installs.
configure_file("${TG_UNIT_TEMPLATE}" "${TG_STAGING_DIR}/tenant-gateway.service" @ONLY)
file(INSTALL "${TG_STAGING_DIR}/tenant-gateway.service" DESTINATION "${unitdir}")

# The example becomes gateway.yaml only where none exists: a reinstall never overwrites
# the operator's configuration.
if(EXISTS "$ENV{DESTDIR}${TG_CONFDIR}/gateway.yaml")
  message(STATUS "Keeping: $ENV{DESTDIR}${TG_CONFDIR}/gateway.yaml")
else()
  file(INSTALL "${TG_EXAMPLE_CONFIG}" DESTINATION "${TG_CONFDIR}" RENAME gateway.yaml)
endif()
