// The official JMESPath compliance suite (jmespath.test, vendored in jmespath_compliance/ with its
// licence) against `--query`'s implementation: every case of every file. A result case must produce
// that JSON value; an error case must fail with that kind of error; a benchmark case must parse (and,
// unless it is a parse-only benchmark, evaluate) without error.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/jmespath.h"

namespace isthmus::cli::jmespath {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = ISTHMUS_JMESPATH_COMPLIANCE_DIR;

// The suite's error kinds, by the Error::code the implementation uses for each.
std::string KindOf(const Error& e) {
  static const std::map<std::string, std::string> kinds = {
      {kSyntaxErrorCode, "syntax"},       {kUnknownFunctionCode, "unknown-function"},
      {kArityErrorCode, "invalid-arity"}, {kTypeErrorCode, "invalid-type"},
      {kValueErrorCode, "invalid-value"},
  };
  auto it = kinds.find(e.code);
  return it == kinds.end() ? "unexpected code " + e.code : it->second;
}

// JSON equality as the suite's Python runner sees it: numbers by value (1 == 1.0), objects unordered.
// Written apart from the implementation's own comparison so that one cannot excuse the other.
bool SameJson(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!SameJson(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameJson(*it, *other)) return false;
    }
    return true;
  }
  return a == b;
}

Json ReadSuiteFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream buf;
  buf << in.rdbuf();
  return Json::parse(buf.str());
}

// Runs one case; returns "" when it passes, else what went wrong.
std::string RunCase(const Json& given, const Json& c) {
  const std::string expr = c.at("expression").get<std::string>();
  auto parsed = Expression::Parse(expr);
  if (c.contains("bench")) {
    if (!parsed) return "does not parse: " + parsed.error().message;
    if (c["bench"] == "parse") return "";
    auto r = parsed->Evaluate(given);
    return r ? "" : "fails: " + r.error().message;
  }
  Result<Json> result = parsed ? parsed->Evaluate(given) : Result<Json>(Fail(parsed.error()));
  if (c.contains("error")) {
    const std::string want = c["error"].get<std::string>();
    if (result) return "expected a " + want + " error, got " + result->dump();
    const std::string got = KindOf(result.error());
    return got == want ? "" : "expected a " + want + " error, got " + got + ": " + result.error().message;
  }
  if (!result) return "failed: " + result.error().message;
  return SameJson(*result, c.at("result")) ? "" : "got " + result->dump() + ", want " + c["result"].dump();
}

std::vector<std::string> SuiteFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(kSuiteDir)) {
    if (e.path().extension() == ".json") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Compliance : public ::testing::TestWithParam<std::string> {};

TEST_P(Compliance, EveryCasePasses) {
  const Json suites = ReadSuiteFile(kSuiteDir / GetParam());
  ASSERT_TRUE(suites.is_array());
  std::size_t cases = 0;
  for (std::size_t s = 0; s < suites.size(); ++s) {
    const Json& given = suites[s].at("given");
    const Json& list = suites[s].at("cases");
    for (std::size_t i = 0; i < list.size(); ++i, ++cases) {
      const std::string problem = RunCase(given, list[i]);
      EXPECT_EQ(problem, "") << GetParam() << " suite " << s << " case " << i << ": "
                             << list[i]["expression"].get<std::string>();
    }
  }
  EXPECT_GT(cases, 0u);
  RecordProperty("cases", static_cast<int>(cases));
}

INSTANTIATE_TEST_SUITE_P(JmesPathTest, Compliance, ::testing::ValuesIn(SuiteFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param.substr(0, param.param.find('.'));
                         });

// Guards against a suite that silently shrank (a file lost, a case list emptied): the vendored
// jmespath.test has 16 files and 908 cases, 16 of them benchmarks.
TEST(JmesPathCompliance, WholeSuiteIsPresent) {
  std::size_t cases = 0, bench = 0;
  const auto files = SuiteFiles();
  for (const auto& f : files) {
    for (const auto& suite : ReadSuiteFile(kSuiteDir / f)) {
      for (const auto& c : suite.at("cases")) {
        ++cases;
        if (c.contains("bench")) ++bench;
      }
    }
  }
  EXPECT_EQ(files.size(), 16u);
  EXPECT_EQ(cases, 908u);
  EXPECT_EQ(bench, 16u);
}

}  // namespace
}  // namespace isthmus::cli::jmespath
