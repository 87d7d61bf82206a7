// The `parallax` binary: one subcommand per task; subcommands only parse
// flags and call the libraries. Exit codes: 0 success, 2 bad input (one line
// naming the field and the rule), 1 internal failure.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/memory_command.h"
#include "cli/plan_command.h"
#include "cli/presets_command.h"
#include "cli/run_command.h"
#include "cli/simulate_command.h"
#include "core/errors.h"

int main(int argc, char** argv) {
  CLI::App app{"parallax: plan, simulate and run parallel training of large transformers"};
  app.require_subcommand(1);
  parallax::AddMemoryCommand(app);
  parallax::AddSimulateCommand(app);
  parallax::AddPlanCommand(app);
  parallax::AddPresetCommands(app);
  parallax::AddRunCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "parallax: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const parallax::SpecError& e) {
    std::cerr << "parallax: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "parallax: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
