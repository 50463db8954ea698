// Events as events.k8s.io/v1 serves them (regarding, note, series). Stricter on create than core/v1 Events,
// and immutable except for the series.
import { nameIsDNSSubdomain } from '../../../shared/validation';
import {
  eventFieldSelectors,
  eventRow,
  EVENT_COLUMNS,
  validateEvent,
  validateEventV1Immutables,
} from './common/event';
import { validateObjectMeta, validateObjectMetaUpdate } from './common/meta';
import { resourceOf, type FlotillaStrategy } from './common/strategy';

export const eventsV1EventStrategy: FlotillaStrategy = {
  resource: resourceOf('events.k8s.io', 'events', {
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    listKind: 'EventList',
    plural: 'events',
    singular: 'event',
    namespaced: true,
    shortNames: ['ev'],
  }),
  validateCreate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: true, nameFn: nameIsDNSSubdomain }),
    ...validateEvent(obj, 'v1'),
  ],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old),
    ...validateEventV1Immutables(obj, old),
    ...validateEvent(obj, 'v1'),
  ],
  columns: EVENT_COLUMNS,
  row: (obj, now) => eventRow(obj, 'v1', now),
  fieldSelectors: eventFieldSelectors('v1'),
};
