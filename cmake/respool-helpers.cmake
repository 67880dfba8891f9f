# Compile options for respool's own targets: warnings (errors when RESPOOL_WERROR) and the
# optional sanitizers. They are PRIVATE, so a project that consumes respool never inherits them.
function(respool_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
      -Woverloaded-virtual -Wimplicit-fallthrough)
    if(RESPOOL_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(RESPOOL_SANITIZE)
      target_compile_options(${target} PRIVATE
        -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
      # PUBLIC: whatever links a sanitized static library needs the sanitizer runtime too.
      target_link_options(${target} PUBLIC -fsanitize=address,undefined)
      # Clang before 17 cannot compile coroutines with UBSan's function check ("Cannot
      # represent a difference across sections", LLVM issue 49689); the check is about calls
      # through mistyped function pointers, which C++ code here does not make.
      if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 17)
        target_compile_options(${target} PRIVATE -fno-sanitize=function)
      endif()
    endif()
  endif()
endfunction()

# Writes respool.pc from `template` to `output`. Its prefix is found from where the file lies
# (${pcfiledir}), so it stays right after `cmake --install --prefix <elsewhere>` and when the
# tree is moved. fmt and OpenSSL are linked by the library but appear in no public header. A
# shared library records them itself, so they are only Requires.private; a static archive
# does not, so every program that links it needs them: plain Requires, since
# `pkg-config --libs` without --static leaves the private fields out.
function(respool_configure_pc_file template output)
  set(pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  if(IS_ABSOLUTE "${pc_dir}")
    set(RESPOOL_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  else()
    file(RELATIVE_PATH up "/root/${pc_dir}" "/root")
    string(REGEX REPLACE "/$" "" up "${up}")
    set(RESPOOL_PC_PREFIX "\${pcfiledir}/${up}")
  endif()
  foreach(dir LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
      set(RESPOOL_PC_${dir} "${CMAKE_INSTALL_${dir}}")
    else()
      set(RESPOOL_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
    endif()
  endforeach()

  get_target_property(type respool TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    set(RESPOOL_PC_REQUIRES "fmt openssl")
    set(RESPOOL_PC_REQUIRES_PRIVATE "")
  else()
    set(RESPOOL_PC_REQUIRES "")
    set(RESPOOL_PC_REQUIRES_PRIVATE "fmt openssl")
  endif()

  # Asio is header-only and has no .pc file: its directory, unless the compiler searches it.
  set(RESPOOL_PC_ASIO_CFLAGS "")
  if(NOT RESPOOL_ASIO_INCLUDE_DIR IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    set(RESPOOL_PC_ASIO_CFLAGS " -I${RESPOOL_ASIO_INCLUDE_DIR}")
  endif()
  configure_file("${template}" "${output}" @ONLY)
endfunction()

# With Clang, the standard library's, fmt's and Asio's headers that most sources of `target`
# include are parsed once, into a precompiled header of its own: a third less CPU time for
# each of those sources in the sanitized Debug build. Only in respool's own test builds: a
# project that builds respool as a subproject compiles plain sources, which the
# add_subdirectory consumer test does (a precompiled header would hide a missing include).
# Not with GCC, whose optimisation at -O3 outweighs the parsing: a twentieth saved there.
function(respool_precompile_common_headers target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND PROJECT_IS_TOP_LEVEL AND RESPOOL_TEST)
    target_precompile_headers(${target} PRIVATE <algorithm> <atomic> <chrono> <functional>
      <memory> <optional> <string> <string_view> <vector> <fmt/format.h>
      <asio/any_io_executor.hpp> <asio/co_spawn.hpp> <asio/io_context.hpp> <asio/post.hpp>
      <asio/steady_timer.hpp> <asio/ip/tcp.hpp> <asio/ssl.hpp> <asio/use_awaitable.hpp>)
  endif()
endfunction()
