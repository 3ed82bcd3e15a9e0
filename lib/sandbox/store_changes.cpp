// The store's change log: the window of recent changes (bounded by count and by bytes) that
// watches resume from and controllers read, with 410 Expired for what has left it.
#include <algorithm>

#include "sandbox/store.hpp"

namespace rollout::sandbox {

using nlohmann::json;

namespace {

size_t approximate_bytes(const json& j) {
  switch (j.type()) {
    case json::value_t::string: return 16 + j.get_ref<const json::string_t&>().size();
    case json::value_t::object: {
      size_t n = 16;
      for (auto it = j.begin(); it != j.end(); ++it) n += it.key().size() + approximate_bytes(*it);
      return n;
    }
    case json::value_t::array: {
      size_t n = 16;
      for (const auto& v : j) n += approximate_bytes(v);
      return n;
    }
    default: return 16;
  }
}

}  // namespace

void ObjectStore::record(const ResourceType& t, const std::string& ns, const std::string& type, const Shared& obj) {
  const size_t bytes = approximate_bytes(*obj);
  events_.push_back({type, obj, rv_, t.group, t.plural, t.namespaced ? ns : "", bytes});
  kept_bytes_ += bytes;
  if (observer_) observer_(events_.back());
  while (events_.size() > window_ || (kept_bytes_ > window_bytes_ && events_.size() > 1)) {
    kept_bytes_ -= events_.front().bytes;
    events_.pop_front();
  }
  changed_.notify_all();
}

std::optional<std::deque<ObjectChange>::const_iterator> ObjectStore::first_after(uint64_t after) const {
  const uint64_t oldest = events_.empty() ? rv_ + 1 : events_.front().resource_version;
  if (after + 1 < oldest && after < rv_) return std::nullopt;
  return std::upper_bound(events_.begin(), events_.end(), after,
                          [](uint64_t rv, const ObjectChange& e) { return rv < e.resource_version; });
}

Result<std::vector<WatchEvent>> ObjectStore::events_after(const ResourceType& t, const std::string& ns, uint64_t after,
                                                          std::chrono::steady_clock::time_point until) const {
  std::vector<ObjectChange> found;
  {
    std::shared_lock lock(mu_);
    const uint64_t woken = wake_generation_;
    uint64_t scanned = after;  // after a wake, only what came since is looked at
    for (;;) {
      auto first = first_after(scanned);
      if (!first) {
        const uint64_t oldest = events_.empty() ? rv_ + 1 : events_.front().resource_version;
        return api_error(
            410, "Expired",
            "too old resource version: " + std::to_string(scanned) + " (" + std::to_string(oldest - 1) + ")");
      }
      for (auto it = *first; it != events_.end(); ++it) {
        if (it->group != t.group || it->plural != t.plural) continue;
        if (!ns.empty() && it->namespace_ != ns) continue;
        found.push_back(*it);
      }
      if (!events_.empty()) scanned = std::max(scanned, events_.back().resource_version);
      if (!found.empty() || wake_generation_ != woken) break;
      if (changed_.wait_until(lock, until) == std::cv_status::timeout) break;
    }
  }
  std::vector<WatchEvent> out;  // objects copied outside the lock
  out.reserve(found.size());
  for (const auto& e : found) out.push_back({e.type, *e.object, e.resource_version, e.group, e.plural, e.namespace_});
  return out;
}

std::optional<std::vector<ObjectChange>> ObjectStore::changes_after(uint64_t after) const {
  std::shared_lock lock(mu_);
  auto first = first_after(after);
  if (!first) return std::nullopt;
  return std::vector<ObjectChange>(*first, events_.cend());
}

void ObjectStore::wake_all() {
  std::unique_lock lock(mu_);
  ++wake_generation_;
  changed_.notify_all();
}

}  // namespace rollout::sandbox
