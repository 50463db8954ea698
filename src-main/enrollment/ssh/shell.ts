// Quoting for POSIX sh: every command sent over SSH is one string the remote shell parses.

/** 'single-quoted', with embedded single quotes closed, escaped and reopened. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Parent folder of a POSIX path (`/a/b/c` → `/a/b`, `c` → `.`). */
export function posixDirname(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : path.slice(0, i);
}

export function posixBasename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
