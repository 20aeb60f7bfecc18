-- Connections (Celery brokers), collector leases and API keys.
CREATE SCHEMA IF NOT EXISTS celeriac;
COMMENT ON SCHEMA celeriac IS 'Celeriac: Celery monitoring read models and tenancy. Tables here are a documented, stable interface for Grafana/BI.';

CREATE TABLE celeriac.connections (
  connection_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  broker_url_encrypted bytea NOT NULL,
  options jsonb NOT NULL DEFAULT '{}'::jsonb,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE celeriac.connections IS 'One watched Celery broker (a tenant''s cluster).';
COMMENT ON COLUMN celeriac.connections.broker_url_encrypted IS 'AMQP URL encrypted with AES-256-GCM (@celeriac/connection-secrets); never stored in clear.';
COMMENT ON COLUMN celeriac.connections.options IS 'Per-connection collector options (queue max length, sampling intervals, enable_events), JSON.';

CREATE TABLE celeriac.connection_leases (
  connection_id uuid PRIMARY KEY REFERENCES celeriac.connections (connection_id) ON DELETE CASCADE,
  owner_id text NOT NULL,
  owner_grpc_address text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  renewed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
COMMENT ON TABLE celeriac.connection_leases IS 'Which collector consumes a connection; expired rows may be taken over by any collector.';
COMMENT ON COLUMN celeriac.connection_leases.owner_grpc_address IS 'host:port of the owner''s Control gRPC service; gateways route commands there.';

CREATE TABLE celeriac.api_keys (
  key_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  key_prefix text NOT NULL,
  key_hash bytea NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('viewer', 'operator', 'support', 'admin')),
  all_connections boolean NOT NULL DEFAULT false,
  connection_ids uuid[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
COMMENT ON TABLE celeriac.api_keys IS 'API keys; only a SHA-256 of the secret is stored.';
COMMENT ON COLUMN celeriac.api_keys.key_prefix IS 'First characters of the key, to recognise it in listings.';
COMMENT ON COLUMN celeriac.api_keys.connection_ids IS 'Connections the key may see, unless all_connections.';
