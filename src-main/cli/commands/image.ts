// `flotilla image load FILE.tar [--node N]`: puts an image tarball (`docker save` format) onto the
// nodes' engines, the way images reach machines without a registry.
import type { Command } from 'commander';
import path from 'node:path';
import type { ImageLoadOptions, ImageLoadResult } from '../../enrollment/docker';
import { defaultDataDir, expandHome } from '../../platform/paths';
import { step } from './node';

export interface ImageDeps {
  loadImage(options: ImageLoadOptions): Promise<ImageLoadResult[]>;
  stdout(text: string): void;
  stderr(text: string): void;
  exit(code: number): void;
}

const defaultDeps: ImageDeps = {
  loadImage: async (o) => (await import('../../enrollment/docker')).loadImage(o),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

export function registerImageCommand(program: Command, overrides: Partial<ImageDeps> = {}): Command {
  const deps = { ...defaultDeps, ...overrides };
  const image = program.command('image').description('images on the nodes');
  image
    .command('load')
    .description('load an image tarball (docker save) into the engine of every node, or of one')
    .argument('<file>', 'the tarball')
    .option('-d, --data-dir <dir>', 'data dir of the running `flotilla server`', defaultDataDir())
    .option('--node <name>', 'only this node')
    .addHelpText('after', '\nExample:\n  docker save web:1 -o web.tar && flotilla image load web.tar')
    .action(async (file: string, options: { dataDir: string; node?: string }) => {
      deps.exit(
        await step(deps, () =>
          deps.loadImage({
            file: path.resolve(file),
            dataDir: path.resolve(expandHome(options.dataDir)),
            ...(options.node ? { node: options.node } : {}),
            progress: (line) => deps.stdout(`${line}\n`),
          }),
        ),
      );
    });
  return image;
}
