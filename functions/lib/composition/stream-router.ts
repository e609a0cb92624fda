import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { streamRouterHandler } from '#lib/handlers/stream-router.ts';
import { snsClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** StreamRouterFunction (the table's stream → NotificationsTopic), composed once per container. */
export function composeStreamRouter(settings: Settings<'stream-router'> = loadSettings('stream-router')) {
  const observability = createObservability();
  const publisher = new SnsNotificationPublisher(snsClient(observability.tracer), settings.NOTIFICATIONS_TOPIC_ARN);
  return streamRouterHandler({ publisher }, observability);
}
