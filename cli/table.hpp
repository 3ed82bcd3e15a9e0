// The one table printer behind every table the CLI prints (`rollout list`, `rollout history`):
// each column as wide as its widest cell, two spaces between columns, the last one unpadded.
#pragma once

#include <string>
#include <vector>

namespace rollout::cli {

using TableRow = std::vector<std::string>;

// The header row first; rows shorter than the header get empty cells. Widths count UTF-8 code
// points, not bytes.
std::string format_table(const std::vector<TableRow>& rows);

}  // namespace rollout::cli
