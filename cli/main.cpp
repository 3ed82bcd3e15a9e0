#include "cli/app.hpp"

int main(int argc, char** argv) {
  return rollout::cli::run(argc, argv);
}
