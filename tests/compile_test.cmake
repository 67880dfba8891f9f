# Tests that run the compiler on one file and look at what it says: code that must not compile
# (with the diagnostic it must give), and the README's examples, each a whole file.
#
# The flags a program that links respool::respool compiles with (its include directories and
# definitions, Asio's included), as a response file that GCC and Clang read with @file.
set(RESPOOL_COMPILE_FLAGS_FILE "${CMAKE_CURRENT_BINARY_DIR}/respool_compile_flags.rsp")
# The compiler's own directories are left out: -I/usr/include would put them ahead of the
# C++ library's wrappers, and break them.
set(_implicit "")
foreach(dir IN LISTS CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
  string(REGEX REPLACE "([][+.*()^$?|\\])" "\\\\\\1" dir "${dir}")
  list(APPEND _implicit "${dir}")
endforeach()
list(JOIN _implicit "|" _implicit)
set(_includes
  "$<FILTER:$<TARGET_PROPERTY:respool,INTERFACE_INCLUDE_DIRECTORIES>,EXCLUDE,^(${_implicit})$>")
set(_defines "$<FILTER:$<TARGET_PROPERTY:respool,INTERFACE_COMPILE_DEFINITIONS>,INCLUDE,.>")
file(GENERATE OUTPUT "${RESPOOL_COMPILE_FLAGS_FILE}" CONTENT
  "${CMAKE_CXX20_STANDARD_COMPILE_OPTION}
\"-I$<JOIN:${_includes},\"\n\"-I>\"
\"-D$<JOIN:${_defines},\"\n\"-D>\"
")

# Passes when compiling `source` (relative to this directory) fails with a diagnostic that
# matches `regex`; one that compiles prints nothing, and fails.
function(respool_add_compile_fail_test name source regex)
  add_test(NAME ${name}
    COMMAND ${CMAKE_CXX_COMPILER} "@${RESPOOL_COMPILE_FLAGS_FILE}" -fsyntax-only
            "${CMAKE_CURRENT_SOURCE_DIR}/${source}")
  set_tests_properties(${name} PROPERTIES LABELS "unit;compile" PASS_REGULAR_EXPRESSION "${regex}")
endfunction()

respool_add_compile_fail_test(compile_fail_async_exec_without_token
  compile_fail/async_exec_without_token.cpp
  "the last argument of async_exec must be a completion token")
respool_add_compile_fail_test(compile_fail_command_with_temporary_string
  compile_fail/command_with_temporary_string.cpp
  "temporary string dies before the command runs")
respool_add_compile_fail_test(compile_fail_command_with_temporary_range
  compile_fail/command_with_temporary_range.cpp "named_range")
# The counterpart: what commands do accept still compiles, so the tests above fail for the
# reason they name.
add_test(NAME compile_commands_with_borrowed_arguments
  COMMAND ${CMAKE_CXX_COMPILER} "@${RESPOOL_COMPILE_FLAGS_FILE}" -fsyntax-only
          "${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/commands_with_borrowed_arguments.cpp")
set_tests_properties(compile_commands_with_borrowed_arguments PROPERTIES LABELS "unit;compile")

# Each ```cpp example of README.md compiles as a file of its own, with only the includes it
# shows. The examples are counted here (README.md is a configure dependency, so an edit
# recounts them) and read again when each test runs.
set(_readme "${PROJECT_SOURCE_DIR}/README.md")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_readme}")
file(STRINGS "${_readme}" _fences REGEX "^```cpp$")
list(LENGTH _fences _examples)
if(_examples EQUAL 0)
  message(FATAL_ERROR "no ```cpp example found in ${_readme}")
endif()
foreach(i RANGE 1 ${_examples})
  add_test(NAME readme_example_${i}_compiles
    COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/readme_example.sh" "${_readme}" ${i} ${_examples}
            "${CMAKE_CXX_COMPILER}" "${RESPOOL_COMPILE_FLAGS_FILE}"
            "${CMAKE_CURRENT_BINARY_DIR}/readme_examples")
  set_tests_properties(readme_example_${i}_compiles PROPERTIES LABELS "unit;readme" TIMEOUT 300)
endforeach()
