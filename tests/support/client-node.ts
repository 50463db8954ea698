// @kubernetes/client-node as a second real client of the API. Version 2 depends on undici 8, which
// needs Node >= 22.19; this project runs on Node 20, so the suites use the 1.x line (installed under
// the alias `kubernetes-client-node-v1`), which runs on Node 20 as it is. (Version 2 stays a
// devDependency: scripts/generate-openapi.ts reads its model classes.)
export * as k8s from 'kubernetes-client-node-v1';
