# Configures, builds and runs the consumer project in WORK_DIR.
#
#   cmake -D MODE=find_package|add_subdirectory -D CONSUMER_SOURCE_DIR=...
#         -D WORK_DIR=... -D WIREPACK_SOURCE_DIR=... -D WIREPACK_BINARY_DIR=...
#         -D CONFIG=... -D GENERATOR=... -D MAKE_PROGRAM=... -D CXX_COMPILER=...
#         [-D SANITIZE=address,undefined] -P run_consumer.cmake
#
# SANITIZE is the WIREPACK_SANITIZE wirepack was built with: the installed wirepack::net
# library then calls the sanitizer runtimes, which the consumer must link too.
#
# find_package first installs the wirepack build tree into WORK_DIR/prefix.

function(step)
  list(JOIN ARGN " " command_line)
  message(STATUS "${command_line}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${command_line}")
  endif()
endfunction()

# Start from scratch so a rerun never sees a stale cache or an old install.
file(REMOVE_RECURSE ${WORK_DIR})

set(configure_args
  -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build
  -G ${GENERATOR}
  -D CMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}
  -D CMAKE_CXX_COMPILER=${CXX_COMPILER})
if(SANITIZE)
  list(APPEND configure_args
    "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}"
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
set(config_args "")
if(CONFIG)
  list(APPEND configure_args -D CMAKE_BUILD_TYPE=${CONFIG})
  set(config_args --config ${CONFIG})
endif()

if(MODE STREQUAL "find_package")
  step(${CMAKE_COMMAND} --install ${WIREPACK_BINARY_DIR} --prefix ${WORK_DIR}/prefix ${config_args})
  list(APPEND configure_args -D CMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
elseif(MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args -D WIREPACK_SOURCE_DIR=${WIREPACK_SOURCE_DIR})
else()
  message(FATAL_ERROR "MODE must be find_package or add_subdirectory, not '${MODE}'")
endif()

step(${CMAKE_COMMAND} ${configure_args})
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build ${config_args})
step(${WORK_DIR}/build/consumer)
