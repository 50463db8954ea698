import { describe, expect, it } from 'vitest';
import { dockerHostForSpec } from './docker-cli';

describe('dockerHostForSpec', () => {
  it('takes --docker-host, else DOCKER_HOST, else leaves the engine to the default', () => {
    expect(dockerHostForSpec('tcp://10.0.0.2:2375', 'unix:///x.sock')).toBe('tcp://10.0.0.2:2375');
    expect(dockerHostForSpec(undefined, 'unix:///run/user/1000/docker.sock')).toBe(
      'unix:///run/user/1000/docker.sock',
    );
    expect(dockerHostForSpec(undefined, undefined)).toBeUndefined();
    expect(dockerHostForSpec('', '')).toBeUndefined();
  });
  it('turns a bare socket path into the URL the API accepts', () => {
    expect(dockerHostForSpec('/var/run/docker.sock', undefined)).toBe('unix:///var/run/docker.sock');
  });
});
