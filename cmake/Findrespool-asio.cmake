# Finds standalone Asio (header-only; Debian package libasio-dev) and defines the imported
# target respool::asio. Asio ships no CMake package, so the header is the thing we look for.
#
#   respool-asio_FOUND, RESPOOL_ASIO_INCLUDE_DIR, RESPOOL_ASIO_VERSION

find_path(RESPOOL_ASIO_INCLUDE_DIR NAMES asio.hpp asio/version.hpp)

if(RESPOOL_ASIO_INCLUDE_DIR AND EXISTS "${RESPOOL_ASIO_INCLUDE_DIR}/asio/version.hpp")
  file(STRINGS "${RESPOOL_ASIO_INCLUDE_DIR}/asio/version.hpp" _asio_version_line
    REGEX "#define ASIO_VERSION [0-9]+")
  string(REGEX MATCH "[0-9]+" _asio_version "${_asio_version_line}")
  math(EXPR _asio_major "${_asio_version} / 100000")
  math(EXPR _asio_minor "${_asio_version} / 100 % 1000")
  math(EXPR _asio_patch "${_asio_version} % 100")
  set(RESPOOL_ASIO_VERSION "${_asio_major}.${_asio_minor}.${_asio_patch}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(respool-asio
  REQUIRED_VARS RESPOOL_ASIO_INCLUDE_DIR
  VERSION_VAR RESPOOL_ASIO_VERSION)

# Asio before 1.24 recognises C++20 coroutines only with GCC and MSVC: with Clang it looks for
# the Coroutines TS (__cpp_coroutines, <experimental/coroutine>), which Clang 14 and later no
# longer offer with libstdc++. Stating the support spares every Clang user's co_await.
# The condition is evaluated per consumer, so a GCC build is left to Asio's own detection.
set(_respool_asio_coroutines
  "$<$<AND:$<CXX_COMPILER_ID:Clang,AppleClang>,$<VERSION_GREATER_EQUAL:$<CXX_COMPILER_VERSION>,14>>:ASIO_HAS_CO_AWAIT=1;ASIO_HAS_STD_COROUTINE=1>")

if(respool-asio_FOUND AND NOT TARGET respool::asio)
  find_package(Threads REQUIRED)
  add_library(respool::asio INTERFACE IMPORTED)
  set_target_properties(respool::asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RESPOOL_ASIO_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE;${_respool_asio_coroutines}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
mark_as_advanced(RESPOOL_ASIO_INCLUDE_DIR)
