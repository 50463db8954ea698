export { createDaemonSetController, DAEMONSET_CONTROLLER } from './controller';
