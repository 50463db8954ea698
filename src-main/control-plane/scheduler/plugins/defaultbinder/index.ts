// DefaultBinder: binds through the API server's pods/binding subresource.
import { SUCCESS, errorStatus } from '../../framework/status';
import type { PluginFactory } from '../../framework/types';

export const NAME = 'DefaultBinder';

export const defaultBinder: PluginFactory = {
  name: NAME,
  extensionPoints: ['bind'],
  create: (ctx) => ({
    name: NAME,
    async bind(pod, nodeName) {
      if (!ctx.bindPod) return errorStatus('no binding client configured');
      await ctx.bindPod(pod, nodeName);
      return SUCCESS;
    },
  }),
};
