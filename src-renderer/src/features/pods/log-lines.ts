// A container's log as the Logs tab shows it: text chunks from the stream cut into lines (a line may
// arrive in pieces), kept in a bounded buffer (oldest dropped first, and counted), and searched with
// the matches highlighted.

/** Turns a stream of text chunks into complete lines; the unfinished tail waits for the next chunk. */
export class LineSplitter {
  private pending = '';

  /** The lines completed by this chunk ('\r\n' and '\n' both end a line). */
  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const parts = text.split('\n');
    this.pending = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  /** The last line when the stream ends without a newline. */
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest ? [rest.endsWith('\r') ? rest.slice(0, -1) : rest] : [];
  }
}

export interface LogLine {
  /** Increasing number across the stream, a stable key for rendering. */
  n: number;
  text: string;
}

/** The last `capacity` lines; `dropped` counts what fell off the top. */
export class LogBuffer {
  private items: LogLine[] = [];
  private next = 1;
  dropped = 0;

  constructor(readonly capacity = 10_000) {}

  append(lines: readonly string[]): void {
    for (const text of lines) this.items.push({ n: this.next++, text });
    const over = this.items.length - this.capacity;
    if (over > 0) {
      this.items.splice(0, over);
      this.dropped += over;
    }
  }

  clear(): void {
    this.items = [];
    this.dropped = 0;
  }

  get lines(): readonly LogLine[] {
    return this.items;
  }
}

export interface Segment {
  text: string;
  match: boolean;
}

/** The line cut around every case-insensitive occurrence of the query (for <mark>). */
export function highlight(line: string, query: string): Segment[] {
  if (!query) return [{ text: line, match: false }];
  const lower = line.toLowerCase();
  const q = query.toLowerCase();
  const out: Segment[] = [];
  let from = 0;
  for (let at = lower.indexOf(q); at >= 0; at = lower.indexOf(q, at + q.length)) {
    if (at > from) out.push({ text: line.slice(from, at), match: false });
    out.push({ text: line.slice(at, at + q.length), match: true });
    from = at + q.length;
  }
  if (from < line.length || out.length === 0) out.push({ text: line.slice(from), match: false });
  return out;
}

/** Lines containing the query (case-insensitive); all lines when `onlyMatches` is false. */
export function searchLines(
  lines: readonly LogLine[],
  query: string,
  onlyMatches: boolean,
): { shown: readonly LogLine[]; matches: number } {
  if (!query) return { shown: lines, matches: 0 };
  const q = query.toLowerCase();
  const hits = lines.filter((l) => l.text.toLowerCase().includes(q));
  return { shown: onlyMatches ? hits : lines, matches: hits.length };
}
