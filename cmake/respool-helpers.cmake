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
