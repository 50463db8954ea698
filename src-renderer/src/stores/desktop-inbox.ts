// Files handed to the page by the desktop shell (File → Apply Manifest…) until the view that uses them
// takes them: the command may arrive before the Apply view has mounted.
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { OpenedFile } from '../../../src-main/shared/ipc';

export const useDesktopInboxStore = defineStore('desktop-inbox', () => {
  const manifest = shallowRef<OpenedFile | undefined>();
  function putManifest(file: OpenedFile): void {
    manifest.value = file;
  }
  function takeManifest(): OpenedFile | undefined {
    const file = manifest.value;
    manifest.value = undefined;
    return file;
  }
  return { manifest, putManifest, takeManifest };
});
