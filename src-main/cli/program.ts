// The `flotilla` command tree. Each command lives in its own file under commands/ and registers itself
// here; heavy modules (the control plane) are imported only when their command runs, so `--help` is fast.
import { Command } from 'commander';
import { registerImageCommand } from './commands/image';
import { registerNodeCommand } from './commands/node';
import { registerServerCommand } from './commands/server';
import type { ServerDeps } from './commands/server';
import { packageVersion } from './version';

export interface ProgramDeps {
  server?: Partial<ServerDeps>;
}

export function createProgram(deps: ProgramDeps = {}): Command {
  const program = new Command('flotilla')
    .description(
      'Flotilla: a Kubernetes-compatible control plane that turns the machines you have into one cluster.',
    )
    .version(packageVersion(), '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true);
  registerServerCommand(program, deps.server);
  registerNodeCommand(program);
  registerImageCommand(program);
  // Next: commands/node.ts (`flotilla node add|list|remove`), commands/apply.ts, commands/image.ts
  // (`flotilla image load`), commands/bench.ts — each a register*Command(program) call here.
  return program;
}
