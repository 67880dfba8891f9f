# Configures a consumer project, builds it with one job per core and runs what it built:
# `ctest --build-and-test` builds with a single make job, which made the add_subdirectory
# consumer (a whole library build) the longest test of the suite.
# Usage: cmake -DSOURCE=<dir> -DBINARY=<dir> -DGENERATOR=<name> -DPROGRAM=<target>
#              -DOPTIONS=<;-list of -D options> -P build-and-run.cmake
foreach(var SOURCE BINARY GENERATOR PROGRAM)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build-and-run.cmake: ${var} is not set")
  endif()
endforeach()
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "failed (${status}): ${command}")
  endif()
endfunction()

run(${CMAKE_COMMAND} -S "${SOURCE}" -B "${BINARY}" -G "${GENERATOR}" ${OPTIONS})
run(${CMAKE_COMMAND} --build "${BINARY}" --parallel ${cores})
run("${BINARY}/${PROGRAM}")
