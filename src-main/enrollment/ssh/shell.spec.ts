import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { posixBasename, posixDirname, shellQuote } from './shell';

describe('shell quoting', () => {
  it('leaves plain words alone and quotes everything else so sh reads it back verbatim', () => {
    expect(shellQuote('/opt/flotilla/agent.mjs')).toBe('/opt/flotilla/agent.mjs');
    for (const value of ["it's", 'a b', '$(rm -rf /)', '`x`', 'semi;colon', '', 'new\nline', "''"]) {
      expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' })).toBe(value);
    }
  });

  it('splits POSIX paths', () => {
    expect(posixDirname('/a/b/c')).toBe('/a/b');
    expect(posixDirname('/a')).toBe('/');
    expect(posixDirname('c')).toBe('.');
    expect(posixBasename('/a/b/c/')).toBe('c');
  });
});
