// Composition root of the `isthmus` CLI: real HTTPS, real clock, real environment (DESIGN.md §3).
#include <unistd.h>

#include <csignal>
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
  std::signal(SIGPIPE, SIG_IGN);  // a TLS peer that hangs up is an error to report, not a reason to die
  auto settings = cli::Settings::FromEnvironment([](const char* name) { return std::getenv(name); });
  settings.config_env = cli::Settings::IsthmusVariables(environ);
  cli::HttpTransport transport(settings.ca_bundle);  // isthmusd's own CA, trusted by itself
  SteadyClock clock;
  cli::ThreadSleeper sleeper;
  cli::AppIo io{std::cout, std::cerr, std::cin, transport, clock, sleeper, settings};
  io.terminal = isatty(STDOUT_FILENO) == 1 && isatty(STDERR_FILENO) == 1;
  return cli::RunCli(args, io);
}
