// `window.flotilla` exists only inside the desktop app (the preload puts it there); the same UI runs in
// a plain browser against `flotilla server --ui`, so it is optional and every use must check for it.
import type { FlotillaDesktopApi } from './ipc';

declare global {
  interface Window {
    flotilla?: FlotillaDesktopApi;
  }
}

export {};
