# Fails when a protocol-layer file (encoder, segments, pool, errors, reply parser, reader,
# adapters, configuration, the connection's multiplexer) includes Asio.
file(GLOB protocol_files
  "${ROOT}/include/respool/adapt.hpp" "${ROOT}/src/adapt.cpp"
  "${ROOT}/include/respool/detail/multiplexer.hpp" "${ROOT}/src/multiplexer.cpp"
  "${ROOT}/include/respool/detail/connection_logic.hpp" "${ROOT}/src/connection_logic.cpp"
  "${ROOT}/include/respool/config.hpp" "${ROOT}/src/config.cpp"
  "${ROOT}/include/respool/script.hpp" "${ROOT}/src/script.cpp"
  "${ROOT}/include/respool/commands.hpp" "${ROOT}/include/respool/commands/*"
  "${ROOT}/include/respool/borrowed.hpp"
  "${ROOT}/include/respool/error.hpp" "${ROOT}/include/respool/pool.hpp"
  "${ROOT}/include/respool/request.hpp" "${ROOT}/include/respool/segment.hpp"
  "${ROOT}/include/respool/resp3/*" "${ROOT}/src/request.cpp" "${ROOT}/src/error.cpp"
  "${ROOT}/src/resp3/*")
set(offenders "")
foreach(f IN LISTS protocol_files)
  file(STRINGS "${f}" hits REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]asio")
  if(hits)
    list(APPEND offenders "${f}: ${hits}")
  endif()
endforeach()
if(offenders)
  list(JOIN offenders "\n" text)
  message(FATAL_ERROR "protocol code refers to Asio:\n${text}")
endif()
list(LENGTH protocol_files n)
if(n EQUAL 0)
  message(FATAL_ERROR "no protocol files found under '${ROOT}': nothing was checked")
endif()
message(STATUS "${n} protocol files checked, none refers to Asio")
