import { z } from 'zod';
import type { ApiRoute } from './route';
import { errorBody } from './schemas';

type JsonSchema = Record<string, unknown>;

/** JSON Schema of an input (what a client sends) or an output (what it gets back). */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests (GET /api/openapi.json).
 */
export function openApiDocument(routes: ApiRoute[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const path = '/api' + r.path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, JsonSchema> = {
      [String(r.status ?? 200)]: r.produces
        ? { description: 'OK', content: { [r.produces]: { schema: { type: 'string' } } } }
        : r.response
          ? { description: 'OK', content: { 'application/json': { schema: schemaOf(r.response, 'output') } } }
          : { description: 'OK' },
      400: { description: 'Invalid input: the message names the field', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      401: { description: 'Missing or wrong bearer token' },
      404: { description: 'Not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    };
    const requestBody = r.body
      ? { required: true, content: { 'application/json': { schema: schemaOf(r.body, 'input') } } }
      : r.raw
        ? { required: true, description: r.raw.description, content: { [r.raw.contentType]: { schema: { type: 'string' } } } }
        : undefined;
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${r.path.replace(/[:/-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tidings admin API',
      version: '1',
      description: 'Operators\' API: lists, subscribers, imports, issues, sends, statistics and the suppression list. Every route needs `Authorization: Bearer <ADMIN_TOKEN>`. Errors are `{ "error": { "code", "message", "field"? } }`.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: schemaOf(errorBody, 'output') } },
    paths,
  };
}
