# Every dependency is a Debian package (DESIGN.md §9); README's commands install them.
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 QUIET)
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# libjwt-dev 1.10 (OpenSSL backend): JWT encoding and RS256 signatures for isthmusd's access tokens.
pkg_check_modules(LIBJWT REQUIRED IMPORTED_TARGET libjwt)
pkg_check_modules(LIBNL REQUIRED IMPORTED_TARGET libnl-route-3.0)
# prometheus-cpp-dev 1.0.1 exports prometheus-cpp::core/pull/push (lib/x86_64-linux-gnu/cmake/prometheus-cpp);
# only core is linked (see src/mgmt/CMakeLists.txt). Its config also looks for civetweb, ZLIB and CURL,
# which the Debian package depends on.
find_package(prometheus-cpp CONFIG REQUIRED)
# libyaml-cpp-dev 0.7: `-o yaml|yamlc` in the CLI; its config exports the imported target `yaml-cpp`.
find_package(yaml-cpp CONFIG REQUIRED)
if(ISTHMUS_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(ISTHMUS_BENCH)
  find_package(benchmark QUIET)
endif()
