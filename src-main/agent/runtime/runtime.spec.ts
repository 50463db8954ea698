import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { demuxBuffer, DockerDemuxer, limitBytes, mergeMultiplexed } from './docker-streams';
import { cidrContains, gatewayOf, IpAllocator, parseCidr } from './ipam';
import { dockerContainerName, refFromLabels, refLabels } from './labels';
import { PAUSE_BINARIES } from './pause-binaries.generated';
import { pauseArchitecture, sandboxImageArchive, sandboxImageName } from './sandbox-image';
import { tarArchive } from './tar';
import { isRuntimeError } from './types';

function frame(type: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function readAll(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

describe('IP allocation', () => {
  it('hands out host addresses of the CIDR, skipping network, gateway, broadcast and used ones', () => {
    const cidr = parseCidr('10.244.3.0/29'); // .0 network, .1 gateway, .7 broadcast → .2–.6
    expect(gatewayOf(cidr)).toBe('10.244.3.1');
    const alloc = new IpAllocator(cidr);
    const used = ['10.244.3.3'];
    const got = [alloc.allocate(used), alloc.allocate(used), alloc.allocate(used), alloc.allocate(used)];
    expect(got).toEqual(['10.244.3.2', '10.244.3.4', '10.244.3.5', '10.244.3.6']);
    expect(() => alloc.allocate(['10.244.3.3'])).toThrow(/no free IP/);
    try {
      alloc.allocate(['10.244.3.3']);
    } catch (err) {
      expect(isRuntimeError(err, 'NoFreeIP')).toBe(true);
    }
    alloc.release('10.244.3.4');
    expect(alloc.allocate(['10.244.3.3'])).toBe('10.244.3.4');
  });

  it('goes round the range rather than reusing a just-freed address', () => {
    const alloc = new IpAllocator(parseCidr('10.244.0.0/24'));
    const a = alloc.allocate([]);
    alloc.release(a);
    expect(alloc.allocate([])).not.toBe(a);
  });

  it('parses CIDRs and rejects bad ones', () => {
    expect(cidrContains(parseCidr('10.244.0.17/24'), '10.244.0.200')).toBe(true);
    expect(cidrContains(parseCidr('10.244.0.0/24'), '10.244.1.1')).toBe(false);
    expect(() => parseCidr('10.244.0.0')).toThrow();
    expect(() => parseCidr('10.300.0.0/24')).toThrow();
  });
});

describe('labels', () => {
  it('round-trip a container reference and ignore foreign containers', () => {
    const ref = {
      podUid: 'u-1',
      podName: 'web',
      podNamespace: 'ns',
      kind: 'app' as const,
      containerName: 'c',
      attempt: 4,
    };
    expect(refFromLabels(refLabels('node', ref))).toEqual(ref);
    expect(refFromLabels({ 'com.example': 'x' })).toBeUndefined();
    expect(
      refFromLabels({ ...refLabels('node', ref), 'dev.flotilla.container.attempt': '-1' }),
    ).toBeUndefined();
    expect(dockerContainerName(ref)).toBe('flotilla_c_web_ns_u-1_4');
  });
});

describe('Docker stream framing', () => {
  it('demultiplexes frames split across chunks', async () => {
    const bytes = Buffer.concat([frame(1, 'out1\n'), frame(2, 'err1\n'), frame(1, 'out2\n')]);
    const seen: string[] = [];
    const demux = new DockerDemuxer((type, payload) => seen.push(`${type}:${payload.toString()}`));
    for (let i = 0; i < bytes.length; i += 3) demux.write(bytes.subarray(i, i + 3));
    demux.end();
    await new Promise((r) => demux.on('finish', r));
    expect(seen).toEqual(['1:out1\n', '2:err1\n', '1:out2\n']);
    expect(demuxBuffer(bytes).toString()).toBe('out1\nerr1\nout2\n');
  });

  it('merges a multiplexed stream and limits bytes', async () => {
    const source = new PassThrough();
    const merged = mergeMultiplexed(source);
    source.end(Buffer.concat([frame(1, 'a'), frame(2, 'b')]));
    expect(await readAll(merged)).toBe('ab');
    expect(await readAll(limitBytes(Readable.from([Buffer.from('hello '), Buffer.from('world')]), 8))).toBe(
      'hello wo',
    );
  });
});

describe('sandbox image', () => {
  it('embeds exactly the committed pause binaries, which are tiny static ELF files', () => {
    for (const arch of ['amd64', 'arm64'] as const) {
      const file = readFileSync(
        fileURLToPath(new URL(`../../../resources/sandbox/pause-${arch}`, import.meta.url)),
      );
      expect(Buffer.from(PAUSE_BINARIES[arch], 'base64').equals(file)).toBe(true);
      expect(file.subarray(0, 4).toString('binary')).toBe('\x7fELF');
      expect(file.length).toBeLessThan(4096);
    }
  });

  it('maps engine architectures and names the image by the binary hash', () => {
    expect(pauseArchitecture('x86_64')).toBe('amd64');
    expect(pauseArchitecture('aarch64')).toBe('arm64');
    expect(() => pauseArchitecture('riscv64')).toThrow(/no sandbox binary/);
    expect(sandboxImageName('amd64')).toMatch(/^flotilla\.local\/pause:amd64-[0-9a-f]{12}$/);
  });

  it('builds a tar archive that tar itself reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-tar-'));
    try {
      const archive = join(dir, 'a.tar');
      writeFileSync(archive, sandboxImageArchive('amd64'));
      expect(execFileSync('tar', ['-tvf', archive], { encoding: 'utf8' })).toMatch(
        /^-rwxr-xr-x 0\/0 +\d+ .* pause\n$/,
      );
      writeFileSync(archive, tarArchive([{ name: 'x.txt', data: Buffer.from('hi'), mode: 0o644 }]));
      expect(execFileSync('tar', ['-xOf', archive, 'x.txt'], { encoding: 'utf8' })).toBe('hi');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
