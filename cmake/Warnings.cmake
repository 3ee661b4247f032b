# Project-wide warning set, applied per target with isthmus_target_defaults().
function(isthmus_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
  # GCC 12 reports impossible -Wrestrict overlaps in inlined std::string code at -O3 (GCC PR 105329).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(ISTHMUS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# isthmus_library(name SOURCES ... DEPS ...): one CMake library per src/ folder.
function(isthmus_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(isthmus_${name} STATIC ${ARG_SOURCES})
  add_library(isthmus::${name} ALIAS isthmus_${name})
  target_include_directories(isthmus_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(isthmus_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  isthmus_target_defaults(isthmus_${name})
endfunction()

# isthmus_test(name SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with CTest.
function(isthmus_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  isthmus_target_defaults(${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  # One label: CMake 3.25's gtest_discover_tests loses a list's separators on the way to the discovered
  # tests ("e2e;sanitize" becomes LABELS e2e plus a property named "sanitize"). ctest's -L is a regular
  # expression, so a test in two groups takes a combined name ("e2e-sanitize" matches -L e2e and
  # -L sanitize).
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
  set_property(GLOBAL APPEND PROPERTY ISTHMUS_GTEST_TARGETS ${name})
endfunction()
