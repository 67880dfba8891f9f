# The folders of include/respool/ and src/ are the layers, each allowed to use only the ones
# below it:
#   protocol/  encode requests, parse and adapt replies, configuration: no Asio;
#   io/        one connection to one server, on Asio: nothing from cluster/ or client/;
#   cluster/   a Redis Cluster behind one object, over a connection per node: nothing from
#              client/;
#   client/    what applications call (client, sync_client, subscriber, pools, caching).
# A file breaking a rule is named with the line that breaks it.
set(rules
  "protocol|^[ \t]*#[ \t]*include[ \t]*[<\"](asio|respool/io/|respool/cluster/|respool/client/)"
  "io|^[ \t]*#[ \t]*include[ \t]*[<\"]respool/(client|cluster)/"
  "cluster|^[ \t]*#[ \t]*include[ \t]*[<\"]respool/client/")
set(offenders "")
set(checked 0)
foreach(rule IN LISTS rules)
  string(FIND "${rule}" "|" bar)
  string(SUBSTRING "${rule}" 0 ${bar} layer)
  math(EXPR bar "${bar} + 1")
  string(SUBSTRING "${rule}" ${bar} -1 regex)
  file(GLOB_RECURSE files
    "${ROOT}/include/respool/${layer}/*.hpp" "${ROOT}/src/${layer}/*.cpp" "${ROOT}/src/${layer}/*.hpp")
  foreach(f IN LISTS files)
    math(EXPR checked "${checked} + 1")
    file(STRINGS "${f}" hits REGEX "${regex}")
    if(hits)
      list(APPEND offenders "${f}: ${hits}")
    endif()
  endforeach()
endforeach()
if(offenders)
  list(JOIN offenders "\n" text)
  message(FATAL_ERROR "a layer uses one it must not:\n${text}")
endif()
if(checked LESS 10)
  message(FATAL_ERROR "only ${checked} files found under '${ROOT}': the layers were not checked")
endif()
message(STATUS "${checked} files checked, each uses only the layers below its own")
