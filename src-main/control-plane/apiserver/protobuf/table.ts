// The generated field table (scripts/generate-protobuf-tables.ts): for each protobuf message
// reachable from the kinds Flotilla serves, its fields by number with their JSON name, type and
// Go presence semantics, and which message a (apiVersion, kind) pair is.
import messagesJson from './generated/messages.json' with { type: 'json' };

export type ScalarType = 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'double' | 'string' | 'bytes';

export interface FieldDef {
  /** JSON name (for an inline field, its proto name: its JSON object is merged into the parent). */
  name: string;
  /** A ScalarType, 'map', or a fully qualified message name. */
  type: string;
  repeated?: boolean;
  map?: { key: ScalarType; value: string };
  /**
   * pointer: a Go pointer, written only when set and kept in JSON even when zero (`replicas: 0`).
   * omitempty: a Go value written always, left out of JSON when zero.
   * always: a Go value without omitempty, in JSON even when zero.
   */
  presence: 'pointer' | 'omitempty' | 'always';
  inline?: boolean;
}

export type SpecialForm =
  | 'Time'
  | 'MicroTime'
  | 'Duration'
  | 'Quantity'
  | 'IntOrString'
  | 'FieldsV1'
  | 'RawExtension'
  | 'Unknown'
  /** A wrapper message `{ repeated string items = 1 }` whose JSON form is the bare list (ExtraValue). */
  | 'StringList';

export interface MessageDef {
  /** Types whose JSON form is not an object of their fields. */
  special?: SpecialForm;
  fields: Record<string, FieldDef>;
}

export interface MessageTable {
  source: string;
  /** apiVersion → kind → message; apiVersion '*' holds the meta kinds every group version has. */
  kinds: Record<string, Record<string, string>>;
  messages: Record<string, MessageDef>;
}

export const MESSAGES: MessageTable = messagesJson as MessageTable;

export function messageForKind(
  apiVersion: string,
  kind: string,
  table: MessageTable = MESSAGES,
): string | undefined {
  return table.kinds[apiVersion]?.[kind] ?? table.kinds['*']?.[kind];
}
