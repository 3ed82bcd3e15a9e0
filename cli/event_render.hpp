// Rendering the engine's events: readable lines (with coloured unified YAML diffs for dry runs
// and `plan diff`), or one JSON object per line for CI (`-o json`).
#pragma once

#include <memory>
#include <string>

#include "cli/terminal.hpp"
#include "engine/events.hpp"

namespace rollout::cli {

enum class RenderMode { text, json, diff };

std::unique_ptr<engine::EventSink> make_renderer(RenderMode mode, Terminal& t, int verbosity);

// A unified diff with +/- lines and @@ hunks painted when colour is on.
std::string paint_diff(const Terminal& t, const std::string& diff);

}  // namespace rollout::cli
