# Lists every header each gui/ source includes, directly or through other
# project headers (the compiler's -MM, with Qt's folders as system folders,
# which -MM leaves out), and fails naming the source and the header when one is
# under core/tensor/ or core/backend/.
file(GLOB sources "${SOURCE_DIR}/gui/*.cpp")
string(REPLACE "|" ";" qt_dirs "${QT_INCLUDE_DIRS}")
set(system_includes "")
foreach(dir IN LISTS qt_dirs)
  list(APPEND system_includes -isystem ${dir})
endforeach()
set(violations "")
foreach(source IN LISTS sources)
  execute_process(
    COMMAND ${CXX} -std=c++20 -fPIC -MM -MG ${system_includes} -I${SOURCE_DIR}/core -I${SOURCE_DIR}/gui ${source}
    OUTPUT_VARIABLE dependencies ERROR_VARIABLE errors RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "could not list the includes of ${source}: ${errors}")
  endif()
  string(REGEX MATCHALL "core/(tensor|backend)/[A-Za-z0-9_/]+\\.h" bad "${dependencies}")
  if(bad)
    list(REMOVE_DUPLICATES bad)
    string(APPEND violations "\n  ${source}: ${bad}")
  endif()
endforeach()
list(LENGTH sources count)
if(count EQUAL 0)
  message(FATAL_ERROR "no sources found under ${SOURCE_DIR}/gui")
endif()
if(violations)
  message(FATAL_ERROR "gui/ reaches core tensor or backend headers:${violations}")
endif()
message(STATUS "${count} gui sources checked: no tensor or backend headers")
