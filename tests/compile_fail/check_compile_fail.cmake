# Compiles one compile_fail case and checks the outcome its first line asks for.
#
#   cmake -D CXX_COMPILER=... -D SOURCE=case.cpp -D "INCLUDE_DIRS=dir;dir" -P check_compile_fail.cmake
#
#   // expect: success   the file must compile
#   // expect: <text>    the file must not compile, and <text> must appear
#                        verbatim in the compiler's output

file(STRINGS ${SOURCE} first_line LIMIT_COUNT 1)
if(NOT first_line MATCHES "^// expect: (.+)$")
  message(FATAL_ERROR "${SOURCE}: first line must be '// expect: <text>'")
endif()
set(expected "${CMAKE_MATCH_1}")

set(include_flags "")
foreach(dir IN LISTS INCLUDE_DIRS)
  list(APPEND include_flags -I${dir})
endforeach()

set(command ${CXX_COMPILER} -std=c++20 -fsyntax-only -fdiagnostics-color=never ${include_flags} ${SOURCE})
execute_process(COMMAND ${command}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
list(JOIN command " " command_line)

# message(FATAL_ERROR) rewraps its text; the compiler's output goes out verbatim.
function(fail why)
  message("${command_line}\n${output}")
  message(FATAL_ERROR "${SOURCE}: ${why}")
endfunction()

if(expected STREQUAL "success")
  if(NOT result EQUAL 0)
    fail("expected to compile, but it failed")
  endif()
  return()
endif()

if(result EQUAL 0)
  fail("expected a compile error containing '${expected}', but it compiled")
endif()
string(FIND "${output}" "${expected}" at)
if(at EQUAL -1)
  fail("the compile error lacks '${expected}'")
endif()
