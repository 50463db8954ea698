// The agent's version, reported as nodeInfo.kubeletVersion `flotilla-agent/VERSION`. The bundle
// (scripts/build-agent.ts) replaces the constant with package.json's version; from source it is -dev.
declare const __FLOTILLA_AGENT_VERSION__: string | undefined;

export const AGENT_VERSION: string =
  typeof __FLOTILLA_AGENT_VERSION__ === 'string' ? __FLOTILLA_AGENT_VERSION__ : '0.1.0-dev';
