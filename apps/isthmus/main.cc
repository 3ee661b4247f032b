// Composition root of the `isthmus` CLI: real HTTP, real clock, real environment (DESIGN.md §3).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "cli/app.h"
#include "cli/arm_client.h"
#include "cli/http_transport.h"
#include "cli/settings.h"

int main(int argc, char** argv) {
  using namespace isthmus;
  std::vector<std::string> args(argv + 1, argv + argc);
  cli::HttpTransport transport;
  SteadyClock clock;
  cli::ThreadSleeper sleeper;
  cli::AppIo io{std::cout,
                std::cerr,
                std::cin,
                transport,
                clock,
                sleeper,
                cli::Settings::FromEnvironment([](const char* name) { return std::getenv(name); })};
  return cli::RunCli(args, io);
}
