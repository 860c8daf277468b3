# `cpack` from the build directory makes a .deb (dependencies from dpkg-shlibdeps) and a tarball.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/slimlab.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)

set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_PACKAGE_NAME "slimlab")
set(CPACK_PACKAGE_VENDOR "SlimLab developers")
set(CPACK_PACKAGE_CONTACT "SlimLab developers <slimlab@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Workbench for model-compression experiments (mixture of experts, distillation, pruning)")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Not linked, but SlimLab is ~15x slower without them / has no default data without them.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libopenblas0-pthread, dataset-fashion-mnist")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
