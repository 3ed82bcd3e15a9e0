// Decoders for gates: the provider, the comparison with the baseline, the sequential judge, and
// the rules that tie them together.
#include <regex>

#include "plan/decode.hpp"
#include "util/text.hpp"

namespace rollout::plan {

namespace {

const std::vector<std::string> kMetrics = {"error-rate", "ttft-p50",    "ttft-p95",       "ttft-p99",  "itl-p99",
                                           "e2e-p99",    "queue-depth", "kv-cache-usage", "throughput"};

// Placeholders a Prometheus query template may use; they are filled in per measurement.
const std::vector<std::string> kQueryPlaceholders = {"canary", "stable", "namespace", "interval", "rollout"};

void check_query_placeholders(ObjectReader& pr, const std::string& query) {
  static const std::regex placeholder("\\{\\{\\s*([^}]*?)\\s*\\}\\}");
  for (std::sregex_iterator it(query.begin(), query.end(), placeholder), end; it != end; ++it) {
    std::string name = (*it)[1].str();
    if (std::find(kQueryPlaceholders.begin(), kQueryPlaceholders.end(), name) != kQueryPlaceholders.end()) continue;
    std::string msg = "unknown placeholder {{" + name +
                      "}} (known: {{canary}}, {{stable}}, {{namespace}}, {{interval}}, {{rollout}})";
    std::string s = closest_match(name, kQueryPlaceholders);
    if (!s.empty()) msg += " (did you mean {{" + s + "}}?)";
    pr.error_at("query", msg);
  }
}

void decode_provider(ObjectReader& r, Gate& g) {
  ReadContext& ctx = r.context();
  auto keys = r.present_keys();
  std::vector<std::string> providers;
  for (const auto& k : keys)
    if (k == "prometheus" || k == "scrape" || k == "http") providers.push_back(k);
  if (providers.empty()) {
    r.error("a gate needs one provider: \"prometheus\", \"scrape\" or \"http\"");
    return;
  }
  if (providers.size() > 1)
    r.error_near(providers[1],
                 "a gate has exactly one provider, found " + quote(providers[0]) + " and " + quote(providers[1]));
  const std::string& p = providers[0];
  ObjectReader pr(ctx, r.raw(p), r.child_path(p),
                  p == "prometheus" ? "PrometheusProvider"
                  : p == "scrape"   ? "ScrapeProvider"
                                    : "HttpProvider");
  if (p == "prometheus") {
    PrometheusQuery q;
    if (auto v = pr.string("address")) q.address = *v;
    if (auto v = pr.string("query")) q.query = *v;
    q.timeout = pr.duration("timeout");
    q.bearer_token_file = pr.string("bearerTokenFile");
    if (auto v = pr.boolean("insecureSkipVerify")) q.insecure_skip_verify = *v;
    check_query_placeholders(pr, q.query);
    if (!q.address.empty() && !starts_with(q.address, "http://") && !starts_with(q.address, "https://"))
      pr.error_at("address", quote(q.address) + " is not an http:// or https:// URL");
    g.provider = q;
  } else if (p == "scrape") {
    ScrapeQuery q;
    if (auto v = pr.one_of("from", {"canary", "stable", "all"})) q.from = *v;
    if (auto v = pr.one_of("preset", {"vllm", "sglang", "tgi"})) q.preset = *v;
    if (auto v = pr.one_of("metric", kMetrics)) q.metric = *v;
    if (auto v = pr.string("path")) q.path = *v;
    if (q.preset == "tgi" && starts_with(q.metric, "ttft"))
      pr.error_at("metric", "TGI exposes no time-to-first-token metric");
    g.provider = q;
  } else {
    HttpProbe h;
    if (auto v = pr.string("path")) h.path = *v;
    if (auto v = pr.integer("expectStatus", 100, 599)) h.expect_status = *v;
    h.body_contains = pr.string("bodyContains");
    h.model_listed = pr.string("modelListed");
    if (auto v = pr.one_of("from", {"canary", "stable", "all"})) h.from = *v;
    h.timeout = pr.duration("timeout");
    if (!h.path.empty() && h.path[0] != '/') pr.error_at("path", "must start with \"/\"");
    g.provider = h;
  }
}

Compare decode_compare(ObjectReader cr) {
  Compare cmp;
  if (auto v = cr.one_of("baseline", {"stable"})) cmp.baseline = *v;
  cmp.max_ratio = cr.number("maxRatio");
  cmp.max_increase = cr.number("maxIncrease");
  cmp.min_ratio = cr.number("minRatio");
  if (cmp.min_ratio && *cmp.min_ratio <= 0) cr.error_at("minRatio", "must be greater than 0");
  if (cmp.min_ratio && cmp.max_ratio && *cmp.min_ratio > *cmp.max_ratio)
    cr.error_at("minRatio", "is greater than maxRatio: no canary could pass");
  if (cmp.max_ratio && *cmp.max_ratio <= 0) cr.error_at("maxRatio", "must be greater than 0");
  if (cmp.max_increase && *cmp.max_increase < 0) cr.error_at("maxIncrease", "must not be negative");
  if (cr.valid() && !cmp.max_ratio && !cmp.max_increase && !cmp.min_ratio)
    cr.error("give \"maxRatio\", \"maxIncrease\" or \"minRatio\"");
  return cmp;
}

Sequential decode_sequential(ObjectReader sr) {
  Sequential s;
  if (auto v = sr.one_of("baseline", {"stable"})) s.baseline = *v;
  if (auto v = sr.number("alpha")) {
    s.alpha = *v;
    if (!(*v > 0 && *v <= 0.5)) sr.error_at("alpha", "must be greater than 0 and at most 0.5");
  }
  if (auto v = sr.number("maxRatio")) {
    s.max_ratio = *v;
    if (*v <= 1) sr.error_at("maxRatio", "must be greater than 1: it is the error-rate ratio to catch");
  }
  if (auto v = sr.integer("minRequests", 0, 1000000000)) s.min_requests = *v;
  s.max_requests = sr.integer("maxRequests", 1, 1000000000);
  if (s.max_requests && *s.max_requests <= s.min_requests)
    sr.error_at("maxRequests", "must be greater than minRequests (" + std::to_string(s.min_requests) + ")");
  return s;
}

// How a metric gate judges: conditions, a comparison, or the sequential test on error counts,
// which reads both versions' success and failure counters and so needs the error-rate scrape.
void check_judgement(ObjectReader& r, const Gate& g) {
  const bool metric = r.has("prometheus") || r.has("scrape");
  if (metric && !r.has("http") && !g.success_condition && !g.failure_condition && !g.compare && !g.sequential)
    r.error("a metric gate needs \"successCondition\", \"failureCondition\", \"compare\" or \"sequential\"");
  if (!g.sequential) return;
  for (const char* other : {"successCondition", "failureCondition", "compare"})
    if (r.has(other)) r.error_near(other, std::string("\"sequential\" decides on its own: remove ") + quote(other));
  const auto* scrape = std::get_if<ScrapeQuery>(&g.provider);
  if (!r.has("scrape") || (scrape && !scrape->metric.empty() && scrape->metric != "error-rate")) {
    r.error_near("sequential", "\"sequential\" needs a \"scrape\" provider with \"metric: error-rate\"");
    return;
  }
  const std::string from = r.child_path("scrape") + ".from";
  auto written = r.context().positions.find(from);
  if (scrape && scrape->from != "all" && written != r.context().positions.end())
    r.context().diags.add(written->second,
                          from + ": a sequential gate compares canary with stable: leave out \"from\" or use \"all\"");
}

}  // namespace

std::optional<Gate> decode_gate(ReadContext& ctx, const YamlNodePtr& node, const std::string& path) {
  ObjectReader r(ctx, node, path, "Gate");
  if (!r.valid()) return std::nullopt;
  Gate g;
  g.pos = node->pos;
  g.path = path;
  if (auto v = r.string("name")) g.name = *v;
  decode_provider(r, g);
  if (auto v = r.duration("interval")) {
    g.interval = *v;
    if (v->count() < 1000) r.error_at("interval", "must be at least 1s");
  }
  g.count = r.integer("count", 1, 100000);
  g.initial_delay = r.duration("initialDelay");
  g.success_condition = r.string("successCondition");
  g.failure_condition = r.string("failureCondition");
  if (auto v = r.integer("failureLimit", 0, 100000)) g.failure_limit = *v;
  if (auto v = r.integer("inconclusiveLimit", 0, 100000)) g.inconclusive_limit = *v;
  if (auto v = r.integer("consecutiveErrorLimit", 0, 100000)) g.consecutive_error_limit = *v;
  if (auto v = r.boolean("dryRun")) g.dry_run = *v;
  if (auto c = r.raw("compare")) g.compare = decode_compare(ObjectReader(ctx, c, r.child_path("compare"), "Compare"));
  if (auto s = r.raw("sequential"))
    g.sequential = decode_sequential(ObjectReader(ctx, s, r.child_path("sequential"), "Sequential"));
  if (g.success_condition)
    check_condition(ctx, *r.raw("successCondition"), r.child_path("successCondition"), *g.success_condition,
                    g.compare.has_value());
  if (g.failure_condition)
    check_condition(ctx, *r.raw("failureCondition"), r.child_path("failureCondition"), *g.failure_condition,
                    g.compare.has_value());
  check_judgement(r, g);
  return g;
}

}  // namespace rollout::plan
