import { describe, expect, it } from 'vitest';
import { defaultDataDir, expandHome } from './paths';

describe('defaultDataDir', () => {
  it('uses the per-user application data folder of each OS', () => {
    expect(defaultDataDir({ platform: 'linux', env: {}, home: '/home/ann' })).toBe(
      '/home/ann/.local/share/flotilla',
    );
    expect(defaultDataDir({ platform: 'linux', env: { XDG_DATA_HOME: '/data' }, home: '/home/ann' })).toBe(
      '/data/flotilla',
    );
    expect(defaultDataDir({ platform: 'linux', env: { XDG_DATA_HOME: 'rel' }, home: '/home/ann' })).toBe(
      '/home/ann/.local/share/flotilla',
    );
    expect(defaultDataDir({ platform: 'darwin', env: {}, home: '/Users/ann' })).toBe(
      '/Users/ann/Library/Application Support/Flotilla',
    );
    expect(
      defaultDataDir({
        platform: 'win32',
        env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' },
        home: 'C:\\Users\\ann',
      }),
    ).toBe('C:\\Users\\ann\\AppData\\Roaming\\Flotilla');
    expect(defaultDataDir({ platform: 'win32', env: {}, home: 'C:\\Users\\ann' })).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Flotilla',
    );
  });
});

describe('expandHome', () => {
  it('expands a leading ~ only', () => {
    expect(expandHome('~', '/h')).toBe('/h');
    expect(expandHome('~/x/y', '/h')).toBe('/h/x/y');
    expect(expandHome('/a/~/b', '/h')).toBe('/a/~/b');
    expect(expandHome('~other/x', '/h')).toBe('~other/x');
  });
});
