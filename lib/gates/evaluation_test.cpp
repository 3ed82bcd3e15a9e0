// GateTracker on a fake clock: when measurements are due, and when the limits decide.
#include "gates/evaluation.hpp"

#include <catch2/catch.hpp>

#include "util/clock.hpp"

namespace rollout::gates {

namespace {

plan::Gate gate(Duration interval) {
  plan::Gate g;
  g.name = std::string(1, 'g');  // not a literal: g++ 12 -O2 warns falsely (-Wrestrict) on `= "g"` here
  g.interval = interval;
  return g;
}

const Measurement kOk{Verdict::successful, 0.0, "ok"};
const Measurement kFail{Verdict::failed, 1.0, "bad"};
const Measurement kNaN{Verdict::inconclusive, std::nullopt, "NaN"};
const Measurement kErr{Verdict::error, std::nullopt, "timeout"};

}  // namespace

TEST_CASE("tracker: first due at start + initialDelay (+ an interval when windowed), then every interval",
          "[gates][tracker]") {
  FakeClock clock;
  plan::Gate g = gate(Duration(10000));
  g.initial_delay = Duration(5000);
  GateTracker t(g);
  t.start(clock.now());
  CHECK(!t.due(clock.now()));
  clock.advance(Duration(4999));
  CHECK(!t.due(clock.now()));
  clock.advance(Duration(1));
  CHECK(t.due(clock.now()));
  t.record(kOk, clock.now());
  CHECK(t.next_due() == clock.now() + Duration(10000));

  GateTracker warm(g);  // a windowed gate's baseline scrape is taken at the start
  warm.start(clock.now(), true);
  clock.advance(Duration(14999));
  CHECK(!warm.due(clock.now()));
  clock.advance(Duration(1));
  CHECK(warm.due(clock.now()));
}

TEST_CASE("tracker: failureLimit allows that many failures, the next one fails the gate", "[gates][tracker]") {
  FakeClock clock;
  plan::Gate g = gate(Duration(1000));
  g.failure_limit = 2;
  GateTracker t(g);
  t.start(clock.now());
  CHECK(t.record(kFail, clock.now()) == GateStatus::running);
  CHECK(t.record(kOk, clock.now()) == GateStatus::running);
  CHECK(t.record(kFail, clock.now()) == GateStatus::running);
  CHECK(t.record(kFail, clock.now()) == GateStatus::failed);
  CHECK_THAT(t.summary(), Catch::Contains("3 failed (limit 2)"));
  t.start(clock.now());  // a new step counts afresh
  CHECK(t.record(kFail, clock.now()) == GateStatus::running);
}

TEST_CASE("tracker: inconclusiveLimit holds for a human, errors fail only when consecutive", "[gates][tracker]") {
  FakeClock clock;
  plan::Gate g = gate(Duration(1000));
  g.inconclusive_limit = 1;
  g.consecutive_error_limit = 2;
  GateTracker t(g);
  t.start(clock.now());
  CHECK(t.record(kNaN, clock.now()) == GateStatus::running);
  CHECK(t.record(kNaN, clock.now()) == GateStatus::inconclusive);

  GateTracker e(g);
  e.start(clock.now());
  CHECK(e.record(kErr, clock.now()) == GateStatus::running);
  CHECK(e.record(kErr, clock.now()) == GateStatus::running);
  CHECK(e.record(kOk, clock.now()) == GateStatus::running);  // a success resets the run of errors
  CHECK(e.record(kErr, clock.now()) == GateStatus::running);
  CHECK(e.record(kErr, clock.now()) == GateStatus::running);
  CHECK(e.record(kErr, clock.now()) == GateStatus::failed);
}

TEST_CASE("tracker: count says when an analysis has measured enough; dryRun never decides", "[gates][tracker]") {
  FakeClock clock;
  plan::Gate g = gate(Duration(1000));
  g.count = 3;
  GateTracker t(g);
  t.start(clock.now());
  for (int i = 0; i < 2; ++i) {
    clock.advance(Duration(1000));
    REQUIRE(t.due(clock.now()));
    t.record(kOk, clock.now());
  }
  CHECK(!t.enough());
  clock.advance(Duration(1000));
  t.record(kOk, clock.now());
  CHECK(t.enough());

  plan::Gate d = gate(Duration(1000));
  d.dry_run = true;
  GateTracker dry(d);
  dry.start(clock.now());
  for (int i = 0; i < 5; ++i) CHECK(dry.record(kFail, clock.now()) == GateStatus::running);
}

}  // namespace rollout::gates
