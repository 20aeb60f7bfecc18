import { collectorConfigSchema } from '@celeriac/collector/config';
import { topicsConfigSchema } from '@celeriac/event-log/topics-config';
import { gatewayConfigSchema } from '@celeriac/gateway/config';
import { projectorConfigSchema } from '@celeriac/projector/config';
import { migrateConfigSchema } from '@celeriac/schema/migrate-config';
import type { z } from 'zod';

/**
 * Every Celeriac process that reads the environment: its config schema, the file it runs and the
 * sources whose doc comments describe its variables. The deployment checks and the generated
 * configuration reference both start here, so neither can miss a process.
 */
export interface ServiceConfig {
  name: string;
  schema: z.ZodType;
  /** The entry file, relative to the repository root (what the container command runs). */
  entry: string;
  /** Workspace directory and the package.json script that runs the entry locally, if any. */
  workspace: string;
  script?: string;
  /** Files whose `/** ... *\/ KEY:` comments describe the variables. */
  sources: string[];
}

/** The Kafka TLS/SASL variables, spread into the schemas of every process that talks to Kafka. */
const KAFKA_SECURITY = 'services/event-log/src/kafka-config.ts';
/** The PostgreSQL timeouts and readiness-check variables, spread into every service's schema. */
const RUNTIME_KNOBS = [
  'services/service-runtime/src/pg-pool.ts',
  'services/service-runtime/src/dependency-probe.ts',
];

export const SERVICE_CONFIGS: ServiceConfig[] = [
  {
    name: 'collector',
    schema: collectorConfigSchema,
    entry: 'services/collector/src/main.ts',
    workspace: 'services/collector',
    script: 'start',
    sources: ['services/collector/src/config.ts', KAFKA_SECURITY, ...RUNTIME_KNOBS],
  },
  {
    name: 'projector',
    schema: projectorConfigSchema,
    entry: 'services/projector/src/main.ts',
    workspace: 'services/projector',
    script: 'start',
    sources: ['services/projector/src/config.ts', KAFKA_SECURITY, ...RUNTIME_KNOBS],
  },
  {
    name: 'gateway',
    schema: gatewayConfigSchema,
    entry: 'services/gateway/src/main.ts',
    workspace: 'services/gateway',
    script: 'start',
    sources: ['services/gateway/src/config.ts', KAFKA_SECURITY, ...RUNTIME_KNOBS],
  },
  {
    name: 'migrate',
    schema: migrateConfigSchema,
    entry: 'services/schema/src/migrate-cli.ts',
    workspace: 'services/schema',
    script: 'migrate',
    sources: ['services/schema/src/migrate-config.ts'],
  },
  {
    name: 'topics',
    schema: topicsConfigSchema,
    entry: 'services/event-log/src/topics-cli.ts',
    workspace: 'services/event-log',
    sources: ['services/event-log/src/topics-config.ts', KAFKA_SECURITY],
  },
];
