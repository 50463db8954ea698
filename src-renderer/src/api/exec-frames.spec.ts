import { describe, expect, it } from 'vitest';
import {
  base64Url,
  decodeFrame,
  encodeCloseStdin,
  encodeResize,
  encodeStdin,
  execPath,
  execSubprotocols,
  parseExitStatus,
} from './exec-frames';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('exec framing', () => {
  it('puts the channel byte first: stdin 0, resize 4 with the kubelet TerminalSize JSON', () => {
    const stdin = encodeStdin('ls -l\r');
    expect(stdin[0]).toBe(0);
    expect(text(stdin.subarray(1))).toBe('ls -l\r');
    expect([...encodeStdin(new Uint8Array([3]))]).toEqual([0, 3]);

    const resize = encodeResize(120.7, 40);
    expect(resize[0]).toBe(4);
    expect(JSON.parse(text(resize.subarray(1)))).toEqual({ Width: 120, Height: 40 });
    expect(JSON.parse(text(encodeResize(0, -3).subarray(1)))).toEqual({ Width: 1, Height: 1 });
    expect([...encodeCloseStdin()]).toEqual([255, 0]);
  });

  it('splits received messages into channel and payload', () => {
    const msg = new Uint8Array([1, 104, 105]);
    expect(decodeFrame(msg.buffer)).toEqual({ channel: 1, payload: new Uint8Array([104, 105]) });
    expect(decodeFrame(new Uint8Array([2]))!.payload.length).toBe(0);
    expect(decodeFrame(new Uint8Array([]))).toBeUndefined();
  });

  it('reads the exit status from the error channel as the kubelet reports it', () => {
    expect(parseExitStatus('{"metadata":{},"status":"Success"}')).toEqual({
      success: true,
      exitCode: 0,
      message: 'exited with code 0',
    });
    const failed = JSON.stringify({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      message: 'command terminated with non-zero exit code: error executing command, exit code 3',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(parseExitStatus(new TextEncoder().encode(failed))).toEqual({
      success: false,
      exitCode: 3,
      message: 'exited with code 3',
    });
    expect(parseExitStatus('{"status":"Failure","message":"container not found (\\"web\\")"}')).toEqual({
      success: false,
      message: 'container not found ("web")',
    });
    expect(parseExitStatus('not json').success).toBe(false);
  });

  it('offers the channel protocols and the token as an unpadded base64url subprotocol', () => {
    expect(base64Url('fl-session-a?b>')).toBe('Zmwtc2Vzc2lvbi1hP2I-');
    const protocols = execSubprotocols('tok');
    expect(protocols).toEqual([
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
      'base64url.bearer.authorization.k8s.io.dG9r',
    ]);
    for (const p of protocols) expect(p).not.toMatch(/[=+/]/);
    expect(execSubprotocols(undefined)).toHaveLength(2);
  });

  it('builds the exec URL kubectl would (tty: no separate stderr)', () => {
    expect(execPath('default', 'web-1', 'web')).toBe(
      '/api/v1/namespaces/default/pods/web-1/exec?command=sh&container=web&stdin=1&stdout=1&tty=1',
    );
    expect(execPath('ns', 'p', 'c', ['ls', '-l'], false)).toContain('command=ls&command=-l');
  });
});
