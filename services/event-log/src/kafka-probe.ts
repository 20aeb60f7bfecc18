import type { Admin, Kafka } from 'kafkajs';

/**
 * A readiness check for Kafka: one metadata round trip for the topic the service depends on, over
 * one long-lived admin connection (reopened after a failure). Without retries of its own, so a down
 * broker shows within the connection timeout; the caller (a dependency probe) decides how often.
 */
export function kafkaTopicCheck(
  kafka: Kafka,
  topic: string,
): { check(): Promise<void>; close(): Promise<void> } {
  let admin: Admin | undefined;
  let connected = false;
  const drop = async () => {
    const current = admin;
    admin = undefined;
    connected = false;
    await current?.disconnect().catch(() => undefined);
  };
  return {
    async check() {
      try {
        admin ??= kafka.admin({ retry: { retries: 0 } });
        if (!connected) {
          await admin.connect();
          connected = true;
        }
        await admin.fetchTopicOffsets(topic);
      } catch (error) {
        await drop();
        throw error;
      }
    },
    close: drop,
  };
}
