/**
 * JSON schemas for kubeconform, made offline: no schema repository can be downloaded here, so
 * they come from what the stack's kube-apiserver serves (/openapi/v3, every built-in kind of the
 * version the stack runs) and from the CRD files (Parley's, and prometheus-operator's beside the
 * kubeconform binary). One file per kind and version, named as kubeconform looks them up
 * (`{{ .ResourceKind }}{{ .KindSuffix }}.json`: `deployment-apps-v1.json`, `service-v1.json`),
 * each standalone (the definitions it reaches inlined under `definitions`) and strict: an object
 * with listed properties refuses any other, as the API server's own strict field validation
 * does, unless the schema says it keeps unknown fields.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubectl } from './helm.ts';

type Json = Record<string, unknown>;

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const refPrefix = '#/components/schemas/';
const objectMeta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** kubeconform's file name for a kind: group `apps` -> `-apps`, `networking.k8s.io` -> `-networking`. */
export function schemaFileName({ group, version, kind }: GroupVersionKind): string {
  const groupPart = group ? `-${group.split('.')[0]?.toLowerCase()}` : '';
  return `${kind.toLowerCase()}${groupPart}-${version.toLowerCase()}.json`;
}

/**
 * One OpenAPI 3.0 schema node as JSON Schema (draft 7): refs into `definitions`, `nullable` as a
 * null type, int-or-string and quantities as either type, objects strict. `refs` collects the
 * definitions it names.
 */
function convert(node: unknown, refs: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((item) => convert(item, refs));
  if (node === null || typeof node !== 'object') return node;
  const schema = node as Json;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.slice(refPrefix.length);
    refs.add(name);
    return { $ref: `#/definitions/${name}` };
  }
  if (schema['x-kubernetes-int-or-string'] === true || schema.format === 'int-or-string') {
    return { anyOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-') || key === 'nullable' || key === 'example') continue;
    if (key === 'properties' || key === 'patternProperties' || key === 'definitions') {
      out[key] = Object.fromEntries(
        Object.entries(value as Json).map(([name, child]) => [name, convert(child, refs)]),
      );
    } else if (key === 'format' && typeof value === 'string' && !['date-time', 'byte'].includes(value)) {
      // Kubernetes' own formats (quantity, int32, ...) are not JSON Schema's: the type says enough.
    } else {
      out[key] = convert(value, refs);
    }
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  const keepsUnknown = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.properties && out.additionalProperties === undefined && !keepsUnknown) {
    out.additionalProperties = false;
  }
  return out;
}

/** A root schema with every definition it reaches, transitively, under `definitions`. */
function standalone(root: unknown, all: Record<string, unknown>): Json {
  const refs = new Set<string>();
  const converted = convert(root, refs) as Json;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...converted,
    definitions: closure(refs, all),
  };
}

/** The named definitions and every one they reach, converted. */
function closure(refs: Set<string>, all: Record<string, unknown>): Json {
  const definitions: Json = {};
  const pending = [...refs];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (name in definitions) continue;
    const found = new Set<string>();
    definitions[name] = convert(all[name] ?? {}, found);
    for (const next of found) if (!(next in definitions)) pending.push(next);
  }
  return definitions;
}

/** Every component schema the apiserver serves, across its group versions. */
async function servedSchemas(): Promise<Record<string, unknown>> {
  const index = JSON.parse(await kubectl(['get', '--raw', '/openapi/v3'])) as {
    paths: Record<string, { serverRelativeURL: string }>;
  };
  const all: Record<string, unknown> = {};
  for (const { serverRelativeURL } of Object.values(index.paths)) {
    // A group another test removed after the index was read (crd-upgrade.test.ts deletes its
    // CRD) answers 404: it has nothing this run validates; the kinds needed are checked after.
    const text = await kubectl(['get', '--raw', serverRelativeURL]).catch((error: Error) => {
      if (/NotFound|not found/i.test(error.message)) return undefined;
      throw error;
    });
    if (text === undefined) continue;
    const document = JSON.parse(text) as {
      components?: { schemas?: Record<string, unknown> };
    };
    Object.assign(all, document.components?.schemas ?? {});
  }
  return all;
}

interface CustomResourceDefinition {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema?: { openAPIV3Schema?: Json } }[];
  };
}

/** The CRDs in YAML files of a folder (links followed). */
export function readCrds(dir: string): CustomResourceDefinition[] {
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')))
    .map((document) => document.toJS() as CustomResourceDefinition | null)
    .filter((d): d is CustomResourceDefinition => d?.kind === 'CustomResourceDefinition');
}

/**
 * A CRD version's schema as a kind's: its openAPIV3Schema, strict, with apiVersion, kind and the
 * ObjectMeta of the built-in kinds (a CRD may leave them out; the server always accepts them).
 */
function crdSchema(schema: Json, all: Record<string, unknown>): Json {
  const converted = convert(schema, new Set()) as Json & { properties?: Json };
  const properties = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    ...converted.properties,
    metadata: { $ref: `#/definitions/${objectMeta}` },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...converted,
    properties,
    additionalProperties: converted.additionalProperties ?? false,
    definitions: closure(new Set([objectMeta]), all),
  };
}

/**
 * Writes a schema per served kind and per CRD version into `dir`; returns the files written. The
 * CRDs' metadata is checked against the served ObjectMeta, as for every built-in kind.
 */
export async function writeSchemas(dir: string, crdDirs: string[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const all = await servedSchemas();
  const written: string[] = [];
  for (const schema of Object.values(all) as Json[]) {
    const kinds = schema['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined;
    for (const gvk of kinds ?? []) {
      const file = schemaFileName(gvk);
      writeFileSync(join(dir, file), JSON.stringify(standalone(schema, all)));
      written.push(file);
    }
  }
  for (const crd of crdDirs.flatMap(readCrds)) {
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) throw new Error(`${crd.spec.names.kind} ${version.name}: no openAPIV3Schema`);
      const file = schemaFileName({
        group: crd.spec.group,
        version: version.name,
        kind: crd.spec.names.kind,
      });
      writeFileSync(join(dir, file), JSON.stringify(crdSchema(schema, all)));
      written.push(file);
    }
  }
  return written;
}
