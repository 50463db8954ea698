export { createEndpointSliceController, ENDPOINTSLICE_CONTROLLER } from './controller';
export type { EndpointSliceOptions } from './controller';
