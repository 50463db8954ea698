// Entry point of the `flotilla` command (bin/flotilla.js loads this through tsx).
import { CliError } from './errors';
import { createProgram } from './program';

try {
  await createProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`flotilla: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(
    `flotilla: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}
