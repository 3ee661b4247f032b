#include "platform/fake/fake_socket.h"

#include <algorithm>
#include <cstring>

namespace isthmus::platform {

FakeSocket::~FakeSocket() {
  net_.Forget(this);
}

Result<std::size_t> FakeSocket::Receive(std::span<Datagram> batch) {
  std::size_t n = 0;
  while (n < batch.size() && !queue_.empty()) {
    auto& p = queue_.front();
    std::size_t len = std::min(p.bytes.size(), batch[n].capacity);  // truncates like a real socket
    std::memcpy(batch[n].data, p.bytes.data(), len);
    batch[n].size = len;
    batch[n].peer = p.from;
    batch[n].segment_size = 0;
    queue_.pop_front();
    ++n;
  }
  return n;
}

Result<std::size_t> FakeSocket::Send(std::span<const Datagram> batch) {
  for (const auto& d : batch) {
    if (d.segment_size == 0) {
      net_.Deliver(local_, d.peer, {d.data, d.size});
      continue;
    }
    for (std::size_t off = 0; off < d.size; off += d.segment_size) {  // what UDP_SEGMENT does
      net_.Deliver(local_, d.peer, {d.data + off, std::min<std::size_t>(d.segment_size, d.size - off)});
    }
  }
  return batch.size();
}

std::unique_ptr<FakeSocket> FakeNetwork::Bind(const Endpoint& local) {
  auto s = std::make_unique<FakeSocket>(*this, local);
  bound_[local.ToString()] = s.get();
  return s;
}

void FakeNetwork::Deliver(const Endpoint& from, const Endpoint& to, std::span<const std::uint8_t> bytes) {
  auto it = bound_.find(to.ToString());
  if (it == bound_.end()) {
    ++dropped_;
    return;
  }
  it->second->queue_.push_back({from, {bytes.begin(), bytes.end()}});
  ++delivered_;
}

void FakeNetwork::Forget(FakeSocket* s) {
  for (auto it = bound_.begin(); it != bound_.end();) {
    it = it->second == s ? bound_.erase(it) : std::next(it);
  }
}

}  // namespace isthmus::platform
