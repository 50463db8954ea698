// `flotilla image load FILE.tar [--node N]`: side-load an image tarball (`docker save` format) onto
// nodes' engines — the way images reach machines without a registry. For Docker nodes that is the
// engine's own `docker load`. Each engine is loaded once even if it served several nodes.
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { connectEngine, followProgress } from './engine';
import { EnrollmentError } from './errors';
import { listNodeRecords } from './node-files';

export interface ImageLoadOptions {
  dataDir: string;
  file: string;
  /** Only this node (default: every Docker node added from this data dir). */
  node?: string;
  progress?: (line: string) => void;
}

export interface ImageLoadResult {
  node: string;
  images: string[];
}

export async function loadImage(options: ImageLoadOptions): Promise<ImageLoadResult[]> {
  const progress = options.progress ?? (() => {});
  try {
    await access(options.file);
  } catch (err) {
    throw new EnrollmentError('ImageLoadFailed', `cannot read ${options.file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const records = (await listNodeRecords(options.dataDir)).filter(
    (r) => !options.node || r.nodeName === options.node,
  );
  if (records.length === 0) {
    throw new EnrollmentError(
      'NodeNotFound',
      options.node
        ? `there is no Docker node "${options.node}" added from ${options.dataDir}`
        : `no nodes were added from ${options.dataDir}: add one with \`flotilla node add docker\``,
    );
  }
  const done = new Map<string, string[]>();
  const results: ImageLoadResult[] = [];
  for (const record of records) {
    let images = done.get(record.dockerHost);
    if (!images) {
      progress(`Loading ${options.file} into the engine of node ${record.nodeName} (${record.dockerHost})`);
      const engine = await connectEngine(record.dockerHost);
      try {
        const stream = await engine.docker.loadImage(createReadStream(options.file), { quiet: true });
        const output = await followProgress(engine.docker, stream);
        images = output
          .map((o) =>
            typeof o.stream === 'string' ? /Loaded image(?: ID)?: (\S+)/.exec(o.stream)?.[1] : undefined,
          )
          .filter((s): s is string => Boolean(s));
      } catch (err) {
        throw new EnrollmentError(
          'ImageLoadFailed',
          `node ${record.nodeName}: the engine refused ${options.file}: ${(err as Error).message}`,
          { cause: err },
        );
      }
      done.set(record.dockerHost, images);
      for (const image of images) progress(`  loaded ${image}`);
    }
    results.push({ node: record.nodeName, images });
  }
  return results;
}
