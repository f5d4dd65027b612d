import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The one description of the node's /status, which the agent and the fake node both answer with. */
export const STATUS_SCHEMA_PATH = 'image/agent/status.schema.json';

const ajv = new Ajv2020({ allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(STATUS_SCHEMA_PATH, 'utf8')));

/** Where `status` departs from the schema; empty when it fits. */
export function statusSchemaErrors(status: unknown): string[] {
  if (validate(status)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
