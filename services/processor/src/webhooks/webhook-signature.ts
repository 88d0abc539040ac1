import { Webhook } from 'standardwebhooks';
import type { WebhookEndpoint } from '@video-detect/shared';

/**
 * The Standard Webhooks headers of one attempt, signed at `at` (receivers refuse timestamps more
 * than 5 minutes off, so each retry is signed anew). After a rotation the previous secret signs
 * too, until it expires: the header lists both signatures and a receiver accepts either.
 */
export function signedHeaders(endpoint: WebhookEndpoint, messageId: string, at: Date, body: string): Record<string, string> {
  const { secret, previous_secret: previous, previous_secret_expires_at: until } = endpoint;
  const secrets = previous && until && Date.parse(until) > at.getTime() ? [secret, previous] : [secret];
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(messageId, at, body)).join(' '),
  };
}
