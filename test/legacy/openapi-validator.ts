import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, any>;

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Validates /api/v1 answers against the served OpenAPI 3.1 document with ajv (2020-12 dialect):
 * the response of the documented path, method and status; an unknown path against the 404 envelope.
 */
export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly templates: Array<{ template: string; pattern: RegExp }>;

  constructor(readonly doc: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc, 'openapi.json');
    this.templates = Object.keys(doc.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
    }));
  }

  /** The documented template of a concrete path (`/get_tickets/0/open`), if any. */
  templateOf(path: string): string | undefined {
    const bare = path.split('?')[0];
    return this.templates.find(({ pattern }) => pattern.test(bare))?.template;
  }

  /** Null when valid, else the ajv errors as text. */
  validate(path: string, method: string, status: number, body: unknown): string | null {
    const template = this.templateOf(path);
    let ref: string;
    const m = method.toLowerCase();
    if (template && (m === 'get' || m === 'post')) {
      const responses = this.doc.paths[template][m].responses;
      const response = responses[String(status)];
      if (!response) return `status ${status} is not documented for ${m.toUpperCase()} ${template}`;
      if (response.$ref) {
        const name = String(response.$ref).split('/').pop()!;
        ref = `openapi.json#/${pointer('components', 'responses', name, 'content', 'application/json', 'schema')}`;
      } else {
        ref = `openapi.json#/${pointer('paths', template, m, 'responses', String(status), 'content', 'application/json', 'schema')}`;
      }
    } else {
      const name = `Error${status}`;
      if (!this.doc.components.schemas[name]) return `no error schema for ${status}`;
      ref = `openapi.json#/${pointer('components', 'schemas', name)}`;
    }
    const validate = this.ajv.getSchema(ref);
    if (!validate) return `cannot resolve ${ref}`;
    return validate(body) ? null : this.ajv.errorsText(validate.errors);
  }
}
