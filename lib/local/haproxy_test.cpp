#include "local/haproxy.hpp"

#include <catch2/catch.hpp>

#include "local/replica_http.hpp"

using namespace rollout::local;

TEST_CASE("haproxy show stat: servers of the backend, by column name", "[local][haproxy]") {
  const std::string csv =
      "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,"
      "act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,"
      "check_status,check_code,check_duration,hrsp_1xx,uweight\n"
      "fe,FRONTEND,,,3,5,,,,,,,,,,,,OPEN,,,,,,,,,,,,,,,0,,,,,,,,1\n"
      "llm,gpu0,0,0,2,4,,9,,,,,,,,,,UP,1,1,0,,,,,,,,,,,,2,,,,,,,,1\n"
      "llm,gpu1,1,1,0,4,,9,,,,,,,,,,DRAIN,0,1,0,,,,,,,,,,,,2,,,,,,,,1\n"
      "llm,BACKEND,1,1,2,4,,,,,,,,,,,,UP,1,1,0,,,,,,,,,,,,1,,,,,,,,1\n";
  auto s = parse_show_stat(csv, "llm");
  REQUIRE(s.ok());
  REQUIRE(s->size() == 2);
  CHECK((*s)[0].scur == 2);
  CHECK((*s)[1].status == "DRAIN");
  CHECK((*s)[1].qcur == 1);
  CHECK((*s)[1].weight == 1);  // the user weight, not the 0 a drain shows
  CHECK_FALSE(parse_show_stat("Unknown command\n", "llm").ok());
}

TEST_CASE("replica metrics: running + waiting over all series", "[local]") {
  auto n = in_flight_from_metrics(
      "# HELP x\nvllm:num_requests_running{model_name=\"m\"} 3.0\nvllm:num_requests_waiting{model_name=\"m\"} 2\n"
      "vllm:num_requests_running_total 99\n");
  REQUIRE(n.ok());
  CHECK(*n == 5);
  CHECK_FALSE(in_flight_from_metrics("up 1\n").ok());
  CHECK(models_list(R"({"data":[{"id":"served","root":"org/model"}]})", "org/model"));
  CHECK_FALSE(models_list(R"({"data":[]})", "org/model"));
}
