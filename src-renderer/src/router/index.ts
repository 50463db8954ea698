// Hash history: the same bundle works from file:// in the desktop shell and under /ui/ in a browser.
import { createRouter, createWebHashHistory } from 'vue-router';
import type { Router, RouterHistory } from 'vue-router';
import { useSessionStore } from '../stores/session';
import { routes } from './routes';

export function createAppRouter(history: RouterHistory = createWebHashHistory()): Router {
  const router = createRouter({ history, routes });
  router.beforeEach((to) => {
    if (to.meta.public) return true;
    const session = useSessionStore();
    if (!session.signedIn)
      return { path: '/login', query: to.fullPath !== '/overview' ? { next: to.fullPath } : {} };
    return true;
  });
  return router;
}
