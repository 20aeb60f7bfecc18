import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReference, withReference } from './config-reference';
import { SERVICE_CONFIGS } from './service-configs';

// `npm run docs:config`: regenerates the configuration reference of docs/operations.md from the
// services' config schemas. infra/docs/config-reference.unit.spec.ts fails while it is stale.
const root = fileURLToPath(new URL('../../', import.meta.url));
const file = join(root, 'docs/operations.md');
const updated = withReference(readFileSync(file, 'utf8'), renderReference(root, SERVICE_CONFIGS));
writeFileSync(file, updated);
console.log(`wrote ${file}`);
