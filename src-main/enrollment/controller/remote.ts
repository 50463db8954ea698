// What the enrollment controller runs on a machine, as shell text: where the agent lives, the
// supervisor that keeps it running where systemd is not PID 1 (a `setsid nohup` shell loop with a pid
// file), the systemd unit where it is, and the uninstall. Pure functions of the layout, so they are
// unit-tested as text and run for real by tests/enroll-ssh.test.ts.
import { AGENT_NODE_OPTIONS } from '../../shared/agent-api';
import { shellQuote } from '../ssh/shell';

export interface RemoteLayout {
  /** Releases go to BASE/versions/V, the live one is BASE/current. */
  baseDir: string;
  /** The agent's rootDir (pod volumes, state). */
  stateDir: string;
  logDir: string;
  /** Machine-wide settings (kept for administrators; removed with the rest). */
  configDir: string;
  /** Pid files of the supervisor and of the agent it runs (on /run: gone after a reboot). */
  supervisorPidFile: string;
  agentPidFile: string;
  /** The Node.js binary on the machine. */
  node: string;
}

export const REMOTE_LAYOUT: RemoteLayout = {
  baseDir: '/opt/flotilla',
  stateDir: '/var/lib/flotilla-agent',
  logDir: '/var/log/flotilla',
  configDir: '/etc/flotilla',
  supervisorPidFile: '/run/flotilla-agent-supervisor.pid',
  agentPidFile: '/run/flotilla-agent.pid',
  node: 'node',
};

export const SYSTEMD_UNIT = 'flotilla-agent.service';

export function supervisorPath(l: RemoteLayout): string {
  return `${l.baseDir}/supervise.sh`;
}

export function agentLog(l: RemoteLayout): string {
  return `${l.logDir}/agent.log`;
}

function agentCommand(l: RemoteLayout): string {
  return `${l.node} ${AGENT_NODE_OPTIONS.join(' ')} ${l.baseDir}/current/agent.mjs --config ${l.baseDir}/current/config.json`;
}

/**
 * The supervisor: restarts the agent (from whatever `current` points at) whenever it exits, one
 * second apart so a crashing agent does not spin. TERM stops it and the agent with it.
 */
export function supervisorScript(l: RemoteLayout): string {
  return `#!/bin/sh
# Keeps the Flotilla agent running (machines without systemd). Written by the enrollment controller.
echo $$ > ${l.supervisorPidFile}
child=
stop() { [ -n "$child" ] && kill "$child" 2>/dev/null; [ -n "$child" ] && wait "$child" 2>/dev/null; rm -f ${l.supervisorPidFile} ${l.agentPidFile}; exit 0; }
trap stop TERM INT HUP
while :; do
  ${agentCommand(l)} >> ${agentLog(l)} 2>&1 &
  child=$!
  echo "$child" > ${l.agentPidFile}
  wait "$child"
  echo "flotilla supervisor: agent exited ($?), restarting in 1 s" >> ${agentLog(l)}
  sleep 1
done
`;
}

/** The systemd unit for machines where systemd is PID 1 (not exercised by the test hosts). */
export function systemdUnit(l: RemoteLayout): string {
  return `[Unit]
Description=Flotilla agent
After=network-online.target docker.service
Wants=network-online.target

[Service]
ExecStart=${agentCommand(l)}
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
`;
}

/** Prints `running` when the supervisor's pid file names a live process. */
export function supervisorRunningCommand(l: RemoteLayout): string {
  const f = shellQuote(l.supervisorPidFile);
  return `if [ -f ${f} ] && kill -0 "$(cat ${f})" 2>/dev/null; then echo running; else echo stopped; fi`;
}

/** Starts the supervisor detached from the SSH session (its output closed so the channel can end). */
export function startSupervisorCommand(l: RemoteLayout): string {
  // Only the supervisor goes to the background, with every descriptor of the session closed: anything
  // else holding the channel's output would keep the SSH command from ending.
  return `mkdir -p ${shellQuote(l.logDir)} ${shellQuote(l.stateDir)} && chmod 0755 ${shellQuote(supervisorPath(l))} && (setsid nohup ${shellQuote(supervisorPath(l))} </dev/null >/dev/null 2>&1 &)`;
}

/** Restarts only the agent (after `current` switched): the supervisor starts the new one. */
export function restartAgentCommand(l: RemoteLayout): string {
  const f = shellQuote(l.agentPidFile);
  return `[ -f ${f} ] && kill "$(cat ${f})" 2>/dev/null; true`;
}

/** Stops the supervisor and the agent and waits (up to 10 s) for both to be gone. */
export function stopAgentCommand(l: RemoteLayout): string {
  const s = shellQuote(l.supervisorPidFile);
  const a = shellQuote(l.agentPidFile);
  return [
    `if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl disable --now ${SYSTEMD_UNIT} >/dev/null 2>&1; rm -f /etc/systemd/system/${SYSTEMD_UNIT}; systemctl daemon-reload >/dev/null 2>&1; fi`,
    `sp=$(cat ${s} 2>/dev/null); ap=$(cat ${a} 2>/dev/null)`,
    `[ -n "$sp" ] && kill "$sp" 2>/dev/null`,
    `[ -n "$ap" ] && kill "$ap" 2>/dev/null`,
    `i=0; while [ $i -lt 100 ]; do alive=; for p in $sp $ap; do kill -0 "$p" 2>/dev/null && alive=1; done; [ -z "$alive" ] && break; sleep 0.1; i=$((i+1)); done`,
    `for p in $sp $ap; do kill -9 "$p" 2>/dev/null; done`,
    `rm -f ${s} ${a}`,
    'true',
  ].join('\n');
}

/** `agent --teardown` (containers, pod network, iptables chains), when an agent is installed. */
export function teardownCommand(l: RemoteLayout): string {
  const cur = `${l.baseDir}/current`;
  return `if [ -f ${cur}/agent.mjs ]; then ${l.node} ${cur}/agent.mjs --config ${cur}/config.json --teardown; fi`;
}

/**
 * Removes every file Flotilla put on the machine. A folder that is a mount point (an administrator's
 * volume for the agent's state, or a test host's private mount) is emptied and left in place.
 */
export function removeFilesCommand(l: RemoteLayout): string {
  return [l.baseDir, l.stateDir, l.logDir, l.configDir]
    .map(shellQuote)
    .map(
      (d) => `if [ -d ${d} ]; then find ${d} -mindepth 1 -delete && { rmdir ${d} 2>/dev/null || true; }; fi`,
    )
    .join('\n');
}

/** The last lines of the agent's log (for failure messages). */
export function logTailCommand(l: RemoteLayout, lines = 15): string {
  return `tail -n ${lines} ${shellQuote(agentLog(l))} 2>/dev/null || true`;
}
