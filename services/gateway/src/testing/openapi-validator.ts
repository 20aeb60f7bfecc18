import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../v1/openapi-document';

const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/**
 * Validates a response body against the response schema the OpenAPI document gives for
 * (path template, method, status). Returns null when it conforms, else what is wrong.
 */
export function createOpenApiValidator(document: object = openApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  const paths = (
    document as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
  ).paths;
  return {
    ajv,
    problem(template: string, method: string, status: number, body: unknown): string | null {
      if (!paths[template]?.[method]?.responses?.[String(status)])
        return `${method} ${template} ${status} is not documented`;
      const ref = `openapi.json#/paths/${pointer(template)}/${method}/responses/${status}/content/${pointer('application/json')}/schema`;
      return ajv.validate({ $ref: ref }, body) ? null : ajv.errorsText(ajv.errors);
    },
  };
}
