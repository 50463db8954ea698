export { createEndpointsController, ENDPOINT_CONTROLLER } from './controller';
