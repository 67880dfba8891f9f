# Every public header compiles on its own, first in a translation unit (it includes what it
# uses), with the flags a program linking respool::respool has and warnings as errors.
file(GLOB_RECURSE _respool_headers RELATIVE "${PROJECT_SOURCE_DIR}/include"
  "${PROJECT_SOURCE_DIR}/include/*.hpp")
foreach(header IN LISTS _respool_headers)
  string(REGEX REPLACE "[/.]" "_" _name "${header}")
  add_test(NAME header_alone_${_name}
    COMMAND ${CMAKE_CXX_COMPILER} "@${RESPOOL_COMPILE_FLAGS_FILE}" -Wall -Wextra -Werror
            -fsyntax-only -x c++ -include "${header}" /dev/null)
  set_tests_properties(header_alone_${_name} PROPERTIES LABELS "unit;headers")
endforeach()

add_test(NAME umbrella_headers_are_complete
  COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -P ${CMAKE_CURRENT_SOURCE_DIR}/umbrella.cmake)
set_tests_properties(umbrella_headers_are_complete PROPERTIES LABELS unit)
