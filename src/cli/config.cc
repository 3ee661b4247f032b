#include "cli/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/errors.h"

namespace isthmus::cli {

namespace fs = std::filesystem;

namespace {

std::string Trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<IniFile> IniFile::Load(std::string path) {
  IniFile f;
  f.path_ = std::move(path);
  std::error_code ec;
  if (!fs::exists(f.path_, ec)) return f;
  std::ifstream in(f.path_);
  if (!in) return Fail(ClientError(fmt::format("cannot read {}: {}", f.path_, std::strerror(errno))));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      f.sections_.emplace_back(t.substr(1, t.size() - 2), std::vector<std::pair<std::string, std::string>>{});
      continue;
    }
    auto sep = t.find_first_of("=:");
    if (f.sections_.empty() || sep == std::string::npos) {
      return Fail(ClientError(fmt::format(
          "{} line {}: expected [section] or name = value; fix or delete the file", f.path_, number)));
    }
    f.Set(f.sections_.back().first, Trim(t.substr(0, sep)), Trim(t.substr(sep + 1)));
  }
  return f;
}

std::vector<std::string> IniFile::Sections() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : sections_) out.push_back(name);
  return out;
}

std::optional<std::string> IniFile::Get(const std::string& section, const std::string& option) const {
  const std::string key = Lower(option);
  for (const auto& [name, items] : sections_) {
    if (name != section) continue;
    for (const auto& [k, v] : items) {
      if (k == key) return v;
    }
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> IniFile::Items(const std::string& section) const {
  for (const auto& [name, items] : sections_) {
    if (name == section) return items;
  }
  return {};
}

void IniFile::Set(const std::string& section, const std::string& option, const std::string& value) {
  const std::string key = Lower(option);
  auto s =
      std::find_if(sections_.begin(), sections_.end(), [&](const auto& e) { return e.first == section; });
  if (s == sections_.end()) {
    sections_.emplace_back(section, std::vector<std::pair<std::string, std::string>>{});
    s = sections_.end() - 1;
  }
  for (auto& [k, v] : s->second) {
    if (k == key) {
      v = value;
      return;
    }
  }
  s->second.emplace_back(key, value);
}

bool IniFile::Remove(const std::string& section, const std::string& option) {
  const std::string key = Lower(option);
  for (auto& [name, items] : sections_) {
    if (name != section) continue;
    auto it = std::find_if(items.begin(), items.end(), [&](const auto& e) { return e.first == key; });
    if (it == items.end()) return false;
    items.erase(it);
    return true;
  }
  return false;
}

std::string IniFile::Render() const {
  std::string out;
  for (const auto& [name, items] : sections_) {
    out.append("[").append(name).append("]\n");
    for (const auto& [k, v] : items) out.append(k).append(" = ").append(v).append("\n");
    out += "\n";
  }
  return out;
}

Status IniFile::Save() const {
  const fs::path dir = fs::path(path_).parent_path();
  std::error_code ec;
  if (!dir.empty()) {
    if (!fs::exists(dir, ec)) {
      fs::create_directories(dir, ec);
      if (ec) return Fail(ClientError(fmt::format("cannot create {}: {}", dir.string(), ec.message())));
      fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
  }
  // Write-then-rename so that a crash never leaves a truncated configuration behind.
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Fail(ClientError(fmt::format("cannot write {}: {}", tmp, std::strerror(errno))));
    out << Render();
    if (!out) return Fail(ClientError(fmt::format("cannot write {}", tmp)));
  }
  fs::rename(tmp, path_, ec);
  if (ec) return Fail(ClientError(fmt::format("cannot write {}: {}", path_, ec.message())));
  return {};
}

Result<Configuration> Configuration::Load(const Settings& s, bool local) {
  Configuration c;
  c.env_ = s.config_env;
  c.global_dir_ = s.config_dir;
  c.working_dir_ = s.working_dir;
  // Local files: <dir>/<name of the config dir>/config from the working directory up to the root,
  // stopping at the global directory itself.
  const fs::path global = fs::weakly_canonical(fs::path(s.config_dir));
  const std::string dir_name = global.filename().string();
  if (!s.working_dir.empty() && !dir_name.empty()) {
    for (fs::path d = fs::path(s.working_dir);; d = d.parent_path()) {
      const fs::path candidate = d / dir_name;
      std::error_code ec;
      if (fs::weakly_canonical(candidate, ec) == global) break;
      if (fs::is_directory(candidate, ec)) {
        auto f = IniFile::Load((candidate / "config").string());
        if (!f) return Fail(f.error());
        c.files_.push_back(std::move(*f));
      }
      if (d == d.parent_path()) break;
    }
  }
  auto g = IniFile::Load((fs::path(s.config_dir) / "config").string());
  if (!g) return Fail(g.error());
  c.files_.push_back(std::move(*g));
  c.use_local_ = local;
  if (!local) c.use_local_ = c.GetBool("core", "use_local_config", false);
  return c;
}

std::vector<IniFile> Configuration::ActiveFiles() const {
  if (use_local_) return files_;
  return {files_.back()};
}

std::optional<ConfigEntry> Configuration::Get(const std::string& section, const std::string& option) const {
  const std::string var = "ISTHMUS_" + Upper(section) + "_" + Upper(option);
  if (auto it = env_.find(var); it != env_.end()) return ConfigEntry{Lower(option), it->second, var};
  for (const auto& f : ActiveFiles()) {
    if (auto v = f.Get(section, option)) return ConfigEntry{Lower(option), *v, f.path()};
  }
  return std::nullopt;
}

std::vector<ConfigEntry> Configuration::Items(const std::string& section) const {
  std::vector<ConfigEntry> out;
  auto seen = [&](const std::string& name) {
    return std::any_of(out.begin(), out.end(), [&](const ConfigEntry& e) { return e.name == name; });
  };
  const std::string prefix = "ISTHMUS_" + Upper(section) + "_";
  for (const auto& [var, value] : env_) {
    if (!var.starts_with(prefix) || var.size() == prefix.size()) continue;
    const std::string option = var.substr(prefix.size());
    bool valid = std::all_of(option.begin(), option.end(), [](char ch) {
      return std::isupper(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) ||
             ch == '_';
    });
    if (valid && !seen(Lower(option))) out.push_back({Lower(option), value, var});
  }
  for (const auto& f : ActiveFiles()) {
    for (const auto& [k, v] : f.Items(section)) {
      if (!seen(k)) out.push_back({k, v, f.path()});
    }
  }
  return out;
}

std::vector<std::string> Configuration::Sections() const {
  std::vector<std::string> out;
  for (const auto& f : ActiveFiles()) {
    for (const auto& s : f.Sections()) {
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  return out;
}

bool Configuration::GetBool(const std::string& section, const std::string& option, bool fallback) const {
  auto e = Get(section, option);
  if (!e) return fallback;
  const std::string v = Lower(e->value);
  if (v == "1" || v == "yes" || v == "true" || v == "on") return true;
  if (v == "0" || v == "no" || v == "false" || v == "off") return false;
  return fallback;
}

Status Configuration::Set(const std::string& section, const std::string& option, const std::string& value) {
  if (!use_local_) {
    files_.back().Set(section, option, value);
    return files_.back().Save();
  }
  const fs::path dir = fs::path(working_dir_) / fs::weakly_canonical(fs::path(global_dir_)).filename();
  const std::string path = (dir / "config").string();
  if (files_.size() > 1 && files_.front().path() == path) {
    files_.front().Set(section, option, value);
    return files_.front().Save();
  }
  auto f = IniFile::Load(path);
  if (!f) return Fail(f.error());
  f->Set(section, option, value);
  if (auto s = f->Save(); !s) return s;
  files_.insert(files_.begin(), std::move(*f));
  return {};
}

Status Configuration::Unset(const std::string& section, const std::string& option) {
  const std::size_t first = use_local_ ? 0 : files_.size() - 1;
  for (std::size_t i = first; i < files_.size(); ++i) {
    if (files_[i].Remove(section, option)) return files_[i].Save();
  }
  return {};
}

std::map<std::string, std::string> Configuration::Defaults() const {
  std::map<std::string, std::string> out;
  for (const auto& e : Items("defaults")) {
    if (!e.value.empty()) out[e.name] = e.value;
  }
  return out;
}

}  // namespace isthmus::cli
