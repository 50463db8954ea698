// The agent's entry point: `node agent.mjs --config DIR/config.json` (see config.ts for the file,
// environment variables and flags). SIGTERM/SIGINT stop it cleanly and leave pods running: an agent
// restart adopts them. `--teardown` removes what the agent made on this machine (node removal).
import { startAgent } from './agent';
import type { RunningAgent } from './agent';
import { BootstrapError, ensureClientCredentials } from './bootstrap';
import { AgentConfigError, loadAgentCommandLine } from './config';
import { teardownNode } from './teardown';
import { AGENT_VERSION } from './version';

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} [agent] ${message}\n`);
}

async function main(): Promise<number> {
  let command;
  try {
    command = loadAgentCommandLine(process.argv.slice(2));
  } catch (err) {
    if (err instanceof AgentConfigError) {
      log(`configuration error (${err.code}): ${err.message}`);
      return 2;
    }
    throw err;
  }
  const { config: settings } = command;
  log(`flotilla-agent ${AGENT_VERSION} for node ${settings.nodeName}, API server ${settings.apiServer}`);

  if (command.teardown) {
    await teardownNode(settings, { log });
    log('removed this agent’s containers, pod network and service rules');
    return 0;
  }

  let config;
  try {
    config = await ensureClientCredentials(settings, { log });
  } catch (err) {
    if (err instanceof AgentConfigError || err instanceof BootstrapError) {
      log(`cannot obtain the node's client certificate (${err.code}): ${err.message}`);
      return 3;
    }
    throw err;
  }
  const agent: RunningAgent = await startAgent(config, { log });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping (pods keep running)`);
      const force = setTimeout(() => resolve(1), 10_000);
      force.unref();
      void agent.stop().then(() => {
        clearTimeout(force);
        resolve(0);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
