-- What the gateway reads of the projector's state, as views owned by this package. The projector's
-- tables (task_events with its day partitions, projector_offsets keyed by consumer group) are its own:
-- it may reshape them as long as these views keep their columns and meaning.

-- Every task event with its Kafka position, for /api/v1/tasks/<id>/events and late WebSocket
-- subscribers. A plain view: PostgreSQL inlines it, so the (connection_id, task_uuid, kafka_offset)
-- index of task_events serves the gateway's queries as before.
CREATE VIEW celeriac.task_history AS
  SELECT connection_id, task_uuid, event_id, type, hostname, "timestamp", clock, received_at,
    kafka_partition, kafka_offset, fields
  FROM celeriac.task_events;
COMMENT ON VIEW celeriac.task_history IS 'Every task-* event as Celery sent it (fields), with the Kafka position the projector read it at; read by the gateway.';

-- How far the projection got, per partition of a topic: every row below next_offset has been
-- written. With several consumer groups (a blue/green projector) the furthest one counts.
CREATE VIEW celeriac.projected_positions AS
  SELECT topic, kafka_partition, max(next_offset) AS next_offset
  FROM celeriac.projector_offsets
  GROUP BY topic, kafka_partition;
COMMENT ON VIEW celeriac.projected_positions IS 'Per topic partition, the next Kafka offset the projector will apply: everything below it is in the read models.';
