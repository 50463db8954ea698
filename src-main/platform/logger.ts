// A tiny leveled logger. Every line is `time level component: message [key=value…]` on stderr, so
// stdout stays free for what a command is asked to print (a kubeconfig path, JSON, a table).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export type LogFields = Record<string, unknown>;

/** What the control plane, controllers and CLI take: they never pick where lines go. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** The same sink and level, under another component name (`apiserver`, `scheduler`…). */
  child(component: string): Logger;
}

export interface LoggerOptions {
  component?: string;
  level?: LogLevel;
  /** Where finished lines go (without newline). Default: stderr. */
  write?: (line: string) => void;
  /** Injectable for tests. */
  now?: () => Date;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');

  const make = (component: string): Logger => {
    const log = (level: LogLevel, message: string, fields?: LogFields): void => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      write(formatLine(now(), level, component, message, fields));
    };
    return {
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
      error: (m, f) => log('error', m, f),
      child: (name) => make(name),
    };
  };
  return make(options.component ?? 'flotilla');
}

/** A logger that drops everything: for tests and library callers that do not care. */
export const silentLogger: Logger = createLogger({ write: () => {} });

export function formatLine(
  time: Date,
  level: LogLevel,
  component: string,
  message: string,
  fields?: LogFields,
): string {
  let line = `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${component}: ${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return JSON.stringify(String(value));
  }
}
