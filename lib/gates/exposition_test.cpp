#include "gates/exposition.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

using namespace rollout;
using namespace rollout::gates;

namespace {

Exposition parse_ok(std::string_view text, Format format = Format::text_0_0_4) {
  auto parsed = parse_exposition(text, format);
  INFO(text);
  if (!parsed) FAIL(parsed.error().message);
  return std::move(parsed).value();
}

std::string parse_error(std::string_view text, Format format = Format::text_0_0_4) {
  auto parsed = parse_exposition(text, format);
  INFO(text);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().kind == ErrorKind::invalid);
  return parsed.error().message;
}

double value_of(std::string_view line, Format format = Format::text_0_0_4) {
  const std::string text = std::string(line) + (format == Format::openmetrics ? "\n# EOF\n" : "\n");
  const Exposition e = parse_ok(text, format);
  REQUIRE(e.sample_count() == 1);
  return e.families[0].samples[0].value;
}

}  // namespace

TEST_CASE("0.0.4: vLLM's page groups into families, colons and all", "[exposition]") {
  const Exposition e = parse_ok(R"(# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3.0
# HELP vllm:request_success_total Count of successfully processed requests.
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 12.0
# HELP vllm:request_success_created Count of successfully processed requests.
# TYPE vllm:request_success_created gauge
vllm:request_success_created{engine="0",finished_reason="stop",model_name="m"} 1.7e+09
# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{engine="0",le="0.3",model_name="m"} 1.0
vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="m"} 2.0
vllm:e2e_request_latency_seconds_count{engine="0",model_name="m"} 2.0
vllm:e2e_request_latency_seconds_sum{engine="0",model_name="m"} 1.5
)");
  REQUIRE(e.families.size() == 4);
  const MetricFamily* h = e.family("vllm:e2e_request_latency_seconds");
  REQUIRE(h != nullptr);
  CHECK(h->type == "histogram");
  CHECK(h->help == "Histogram of e2e request latency in seconds.");
  CHECK(h->samples.size() == 4);
  CHECK(e.family("vllm:request_success_total")->type == "counter");
  CHECK(e.samples("vllm:request_success_created")[0]->value == 1.7e9);
  const Sample* s = e.find("vllm:num_requests_running", {{"engine", "0"}, {"model_name", "m"}});
  REQUIRE(s != nullptr);
  CHECK(s->value == 3);
  CHECK_FALSE(s->timestamp_ms);
}

TEST_CASE("values: NaN, infinities, exponents, negative zero; no hex", "[exposition]") {
  for (Format f : {Format::text_0_0_4, Format::openmetrics}) {
    CHECK(std::isnan(value_of("a NaN", f)));
    CHECK(value_of("a +Inf", f) == INFINITY);
    CHECK(value_of("a Inf", f) == INFINITY);
    CHECK(value_of("a -infinity", f) == -INFINITY);
    CHECK(std::isnan(value_of("a nan", f)));
    CHECK(value_of("a -Inf", f) == -INFINITY);
    CHECK(value_of("a 1e-3", f) == 0.001);
    CHECK(value_of("a -1.5E+2", f) == -150);
    CHECK(value_of("a .5", f) == 0.5);
    CHECK(value_of("a 7.", f) == 7);
    const double zero = value_of("a -0", f);
    CHECK((zero == 0 && std::signbit(zero)));
  }
  CHECK_THAT(parse_error("a 0x1p3\n"), Catch::Contains("line 1, column 3: sample value \"0x1p3\" is not a number"));
  CHECK_THAT(parse_error("a 1_000\n"), Catch::Contains("not a number"));
  CHECK_THAT(parse_error("a 1e999\n"), Catch::Contains("out of range"));
  CHECK_THAT(parse_error("a -NaN\n"), Catch::Contains("not a number"));
  CHECK_THAT(parse_error("a e5\n"), Catch::Contains("not a number"));
  CHECK_THAT(parse_error("a\n"), Catch::Contains("line 1, column 2: expected a value"));
}

TEST_CASE("label values unescape \\\\, \\\" and \\n; trailing commas are fine", "[exposition]") {
  const Exposition e = parse_ok("m{a=\"x\\\\y\",b=\"say \\\"hi\\\"\",c=\"l1\\nl2\",} 1\nm{} 2\nm{d=\"\"} 3\n");
  const auto& s = e.families.at(0).samples;
  REQUIRE(s.size() == 3);
  CHECK(s[0].labels == Labels{{"a", "x\\y"}, {"b", "say \"hi\""}, {"c", "l1\nl2"}});
  CHECK(s[1].labels.empty());
  CHECK(s[2].labels == Labels{{"d", ""}});
  // 0.0.4 keeps unknown escapes as Prometheus does; OpenMetrics refuses them.
  CHECK(parse_ok("m{a=\"\\t\"} 1\n").families[0].samples[0].labels.at("a") == "\\t");
  CHECK_THAT(parse_error("m{a=\"\\t\"} 1\n# EOF\n", Format::openmetrics), Catch::Contains("column 6: unknown escape"));
  // 0.0.4 tolerates blanks between tokens; OpenMetrics does not.
  CHECK(parse_ok("  m { a = \"1\" , } \t 5  \n").families[0].samples[0].value == 5);
  CHECK_THAT(parse_error("m { a=\"1\"} 5\n# EOF\n", Format::openmetrics),
             Catch::Contains("column 3: sample value \"{\""));
}

TEST_CASE("malformed samples say line, column and what is wrong", "[exposition]") {
  CHECK(parse_error("# TYPE a gauge\na 1\nb{x=\"open} 2\n") == "line 3, column 5: label value not terminated");
  CHECK(parse_error("a{x=\"1\" 2\n") == "line 1, column 9: expected ',' or '}' after a label, found '2'");
  CHECK(parse_error("a{x=\"1\",,} 2\n") == "line 1, column 9: expected a label name, found ','");
  CHECK(parse_error("a{,} 2\n") == "line 1, column 3: expected a label name, found ','");
  CHECK(parse_error("a{1x=\"1\"} 2\n") == "line 1, column 3: expected a label name, found '1'");
  CHECK(parse_error("a{x=1} 2\n") == "line 1, column 5: expected '\"' to start the value of label \"x\"");
  CHECK(parse_error("a{x=\"1\",x=\"2\"} 2\n") == "line 1, column 9: duplicate label \"x\"");
  CHECK(parse_error("a{x=\"1\"\n") == "line 1, column 2: label set not terminated");
  CHECK(parse_error("1a 2\n") == "line 1, column 1: expected a metric name, found '1'");
  CHECK(parse_error("a 1 2 3\n") == "line 1, column 7: unexpected text after the sample");
  CHECK(parse_error("a 1 1.5\n") == "line 1, column 5: timestamp \"1.5\" is not an integer number of milliseconds");
  CHECK(parse_error(std::string("a{x=\"\xff\"} 1\n")) == "line 1, column 5: label value is not valid UTF-8");
  CHECK(parse_error(std::string("a\0 1\n", 5)) == "line 1, column 2: expected a blank before the value, found '\\x00'");
  CHECK(parse_error("a 1\na{} 2\n") == "line 2, column 1: second sample of the series \"a\" with the same labels");
}

TEST_CASE("0.0.4 metadata: HELP escapes, comments, TYPE rules", "[exposition]") {
  const Exposition e = parse_ok(
      "# a comment\n\n#no space either\n# HELP x a \\\\ b\\nc \"q\"\n"
      "# TYPE x summary\nx{quantile=\"0.5\"} 1\nx_sum 2\nx_count 3\n# EOF is just a comment\n");
  REQUIRE(e.families.size() == 1);
  CHECK(e.families[0].help == "a \\ b\nc \"q\"");
  CHECK(e.families[0].samples.size() == 3);
  CHECK(parse_error("# TYPE x gauge\n# TYPE x gauge\n") == "line 2, column 8: second TYPE line for \"x\"");
  CHECK(parse_error("x 1\n# TYPE x gauge\n") == "line 2, column 8: TYPE line for \"x\" after its samples");
  CHECK_THAT(parse_error("# TYPE x info\n"), Catch::Contains("unknown metric type \"info\""));
  CHECK_THAT(parse_error("# TYPE x gauge extra\n"),
             Catch::Contains("column 16: unexpected text after the metric type"));
  CHECK_THAT(parse_error("# TYPE h histogram\nh_bucket 1\n"),
             Catch::Contains("histogram sample without a \"le\" label"));
  CHECK_THAT(parse_error("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n"),
             Catch::Contains("\"le\" label \"x\" is not a number"));
  CHECK_THAT(parse_error("# TYPE s summary\ns 1\n"), Catch::Contains("without a \"quantile\" label"));
  CHECK(parse_ok("a 1 -1700000000000\n").families[0].samples[0].timestamp_ms == -1700000000000);
  CHECK(parse_ok("").families.empty());
  CHECK(parse_ok("a 1").families[0].samples[0].value == 1);  // no final newline
}

TEST_CASE("0.0.4: a family split by another is merged; untyped families get the sample's name", "[exposition]") {
  const Exposition e = parse_ok("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nother 2\nh_count 1\nloose_bucket 3\n");
  REQUIRE(e.families.size() == 3);
  CHECK(e.family("h")->samples.size() == 2);
  CHECK(e.family("other")->type == "untyped");
  CHECK(e.family("loose_bucket")->type == "untyped");
}

TEST_CASE("OpenMetrics: EOF, strictness, units, seconds timestamps, exemplars", "[exposition]") {
  const Exposition e = parse_ok(R"(# TYPE req counter
# HELP req Requests \"served\".
req_total{code="200"} 10 1700000000.250 # {trace_id="abc"} 1 1700000000.1
req_created{code="200"} 1700000000
# TYPE lat_seconds histogram
# UNIT lat_seconds seconds
lat_seconds_bucket{le="0.1"} 1 # {trace_id="x"} 0.05
lat_seconds_bucket{le="+Inf"} 2
lat_seconds_count 2
lat_seconds_sum 0.3
# TYPE q gaugehistogram
q_bucket{le="+Inf"} 4
q_gcount 4
q_gsum 9
# TYPE build info
build_info{version="1.2"} 1
# TYPE mode stateset
mode{mode="a"} 1
mode{mode="b"} 0
# EOF)",
                                Format::openmetrics);
  REQUIRE(e.families.size() == 5);
  const MetricFamily& req = e.families[0];
  CHECK(req.help == "Requests \"served\".");
  REQUIRE(req.samples.size() == 2);
  CHECK(req.samples[0].timestamp_ms == 1700000000250);
  REQUIRE(req.samples[0].exemplar);
  CHECK(req.samples[0].exemplar->labels == Labels{{"trace_id", "abc"}});
  CHECK(req.samples[0].exemplar->timestamp_ms == 1700000000100);
  CHECK(e.family("lat_seconds")->unit == "seconds");
  CHECK(e.family("lat_seconds")->samples[0].exemplar->value == 0.05);
  CHECK(e.family("q")->samples.size() == 3);
  CHECK(e.family("build")->samples[0].name == "build_info");
}

TEST_CASE("OpenMetrics errors", "[exposition]") {
  const auto om = [](const std::string& text) { return parse_error(text, Format::openmetrics); };
  CHECK(om("a 1\n") == "line 1: the exposition does not end with \"# EOF\"");
  CHECK(om("a 1\n# EOF\n\n") == "line 3, column 1: text after \"# EOF\"");
  CHECK(om("a 1\n# EOF\nb 2\n") == "line 3, column 1: text after \"# EOF\"");
  CHECK(om("\na 1\n# EOF\n") == "line 1, column 1: empty line (OpenMetrics allows none)");
  CHECK_THAT(om("# hello\n# EOF\n"), Catch::Contains("unknown comment"));
  CHECK_THAT(om("# TYPE c counter\nc 1\n# EOF\n"), Catch::Contains("does not fit the counter family"));
  CHECK_THAT(om("# TYPE c counter\nc_total 1\nd 1\nc_created 1\n# EOF\n"),
             Catch::Contains("apart from the other lines"));
  CHECK_THAT(om("# TYPE g gauge\ng 1 # {a=\"b\"} 1\n# EOF\n"), Catch::Contains("exemplar on a sample"));
  CHECK_THAT(om("# TYPE c counter\nc_total 1 # {a=\"" + std::string(130, 'x') + "\"} 1\n# EOF\n"),
             Catch::Contains("more than 128"));
  CHECK_THAT(om("# TYPE x_bytes gauge\n# UNIT x_bytes seconds\n# EOF\n"), Catch::Contains("not a suffix"));
  CHECK_THAT(om("# TYPE i info\ni_info 2\n# EOF\n"), Catch::Contains("info sample"));
  CHECK_THAT(om("# TYPE s stateset\ns{x=\"a\"} 1\n# EOF\n"), Catch::Contains("stateset sample"));
  CHECK_THAT(om("# TYPE x untyped\n# EOF\n"), Catch::Contains("unknown metric type"));
  CHECK_THAT(om("a 1 NaN\n# EOF\n"), Catch::Contains("not a finite number of seconds"));
  CHECK_THAT(om("a 1  2\n# EOF\n"), Catch::Contains("column 5"));
  CHECK_THAT(om("# HELP a bad \\t escape\n# EOF\n"), Catch::Contains("unknown escape in HELP text"));
  CHECK_THAT(om("# TYPE a gauge\n# TYPE b gauge\n# HELP a x\n# EOF\n"), Catch::Contains("apart from the family's"));
  CHECK(parse_ok("# EOF", Format::openmetrics).families.empty());
}

TEST_CASE("limits are errors, not crashes", "[exposition]") {
  ParseLimits small;
  small.max_samples = 3;
  auto many = parse_exposition("a 1\nb 1\nc 1\nd 1\n", Format::text_0_0_4, small);
  REQUIRE_FALSE(many.ok());
  CHECK(many.error().message == "line 4, column 1: more than 3 samples");

  const std::string long_line = "a{x=\"" + std::string(1u << 20, 'y') + "\"} 1\n";
  auto line = parse_exposition(long_line, Format::text_0_0_4);
  REQUIRE_FALSE(line.ok());
  CHECK(line.error().message == "line 1: longer than the limit of 1048576 bytes");

  const std::string huge((32u << 20) + 1, '#');
  auto big = parse_exposition(huge, Format::text_0_0_4);
  REQUIRE_FALSE(big.ok());
  CHECK_THAT(big.error().message, Catch::Contains("more than the limit of 33554432"));
}

TEST_CASE("the Content-Type picks the format", "[exposition]") {
  CHECK(format_from_content_type("application/openmetrics-text; version=1.0.0; charset=utf-8") == Format::openmetrics);
  CHECK(format_from_content_type("Application/OpenMetrics-Text") == Format::openmetrics);
  CHECK(format_from_content_type("text/plain; version=0.0.4; charset=utf-8") == Format::text_0_0_4);
  CHECK(format_from_content_type("") == Format::text_0_0_4);
  CHECK(parse_exposition("a 1\n", "application/openmetrics-text; version=1.0.0").ok() == false);
  CHECK(parse_exposition("a 1\n", "text/plain; version=0.0.4").ok());
}

TEST_CASE("the writer spells what the parser reads", "[exposition]") {
  CHECK(format_value(0.1) == "0.1");
  CHECK(format_value(-0.0) == "-0");
  CHECK(format_value(1e300) == "1e+300");
  CHECK(format_value(-INFINITY) == "-Inf");
  Exposition e;
  e.families.push_back({"x_seconds", "counter", "a \"b\"\n\\", "seconds", {}});
  e.families[0].samples.push_back({"x_seconds_total", {{"l", "q\"\n\\"}}, 2.5, -1500, Exemplar{{{"t", "1"}}, 3, 20}});
  CHECK(write_exposition(e, Format::openmetrics) ==
        "# HELP x_seconds a \\\"b\\\"\\n\\\\\n# TYPE x_seconds counter\n# UNIT x_seconds seconds\n"
        "x_seconds_total{l=\"q\\\"\\n\\\\\"} 2.5 -1.500 # {t=\"1\"} 3 0.020\n# EOF\n");
  CHECK(write_exposition(e) ==
        "# HELP x_seconds a \"b\"\\n\\\\\n# TYPE x_seconds counter\n"
        "x_seconds_total{l=\"q\\\"\\n\\\\\"} 2.5 -1500\n");
  const Exposition back = parse_ok(write_exposition(e, Format::openmetrics), Format::openmetrics);
  CHECK(back.families[0].help == e.families[0].help);
  CHECK(back.families[0].samples[0].timestamp_ms == -1500);
  CHECK(back.families[0].samples[0].exemplar->timestamp_ms == 20);
}
