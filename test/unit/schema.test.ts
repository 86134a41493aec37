import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { analyzeModel, modelSchema } from '../../src/core';
import { readRepoFile, repoRoot } from './helpers';

/** The schema itself: valid samples pass, invalid ones fail exactly where expected, and the core reports them on those paths. */

const samples = 'test/fixtures/schema-samples';
const expected = JSON.parse(readRepoFile(`${samples}/expected-errors.json`)) as Record<string, [string, string, string?][]>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(modelSchema);

describe('schema v1', () => {
  it('is a valid draft-07 schema with descriptions and markdownDescriptions on every layer key', () => {
    assert.equal(modelSchema.$schema, 'http://json-schema.org/draft-07/schema#');
    for (const [name, def] of Object.entries(modelSchema.definitions)) {
      for (const [key, prop] of Object.entries(def.properties ?? {})) {
        assert.ok(prop.description && prop.markdownDescription, `${name}.${key} lacks a description`);
      }
    }
  });

  for (const file of readdirSync(path.join(repoRoot, samples, 'valid'))) {
    it(`accepts valid/${file}`, () => {
      const text = readRepoFile(`${samples}/valid/${file}`);
      assert.equal(validate(JSON.parse(text)), true, JSON.stringify(validate.errors));
      assert.deepEqual(analyzeModel(text).diagnostics.filter((d) => d.source === 'json'), []);
    });
  }

  for (const [file, errors] of Object.entries(expected).filter(([k]) => k !== '//')) {
    it(`rejects ${file} at the expected paths`, () => {
      const text = readRepoFile(`${samples}/${file}`);
      assert.equal(validate(JSON.parse(text)), false);
      const got = (validate.errors ?? [])
        .filter((e) => !['if', 'then', 'anyOf', 'const'].includes(e.keyword))
        .map((e) => [e.instancePath, e.keyword, ...(e.keyword === 'required' ? [(e.params as { missingProperty: string }).missingProperty] : [])]);
      for (const want of errors) assert.ok(got.some((g) => JSON.stringify(g) === JSON.stringify(want)), `missing ${JSON.stringify(want)} in ${JSON.stringify(got)}`);
      const reported = analyzeModel(text).diagnostics.filter((d) => d.source === 'json');
      assert.ok(reported.length > 0);
    });
  }
});
