// Stands in for the `ssh2` package in the agent bundle (scripts/build-agent.ts aliases it here).
// dockerode's transport module requires ssh2 at load time for `ssh://` Docker hosts, which the agent
// never uses (docker-host.ts accepts unix:// and tcp:// only); loading the real package costs the
// agent about 17 MB of RSS (its Poly1305 code reserves a 16 MiB WebAssembly memory on load).

/** What docker-modem would construct for an ssh:// host: refuse clearly instead. */
export class Client {
  constructor() {
    throw new Error('the agent does not support ssh:// Docker hosts (use unix:// or tcp://)');
  }
}

export default { Client };
