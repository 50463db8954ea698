// Events (core/v1): what controllers, the scheduler and agents record; the UI's activity view watches them.
import {
  eventFieldSelectors,
  eventRow,
  EVENT_COLUMNS,
  nameIsPathSegment,
  validateEvent,
} from './common/event';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { resourceOf, type FlotillaStrategy } from './common/strategy';

export const eventStrategy: FlotillaStrategy = {
  resource: resourceOf('', 'events'),
  validateCreate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: true, nameFn: nameIsPathSegment }),
    ...validateEvent(obj, 'core'),
  ],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateEvent(obj, 'core')],
  columns: EVENT_COLUMNS,
  row: (obj, now) => eventRow(obj, 'core', now),
  fieldSelectors: eventFieldSelectors('core'),
};
