import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { MessagingType, SenderAction, messagingTypeFromJSON, senderActionFromJSON } from '../../gen/messenger/v1/enums';
import { MessengerServiceClient, SendMessageRequest, SendSenderActionRequest } from '../../gen/messenger/v1/service';
import { decodeStatusDetails } from '../errors/decode-status-details';

export interface SendOptions {
  target: string;
  page: string;
  to: string;
  text?: string;
  action?: string;
  messagingType: string;
  timeoutMs: number;
}

/** `send`: one message or sender action from the shell; prints the answer or the decoded error. Returns the exit code. */
export async function send(o: SendOptions): Promise<number> {
  const client = new MessengerServiceClient(o.target, credentials.createInsecure());
  const deadline = Date.now() + o.timeoutMs;
  const recipient = { identifier: { $case: 'id' as const, value: o.to } };
  try {
    const res = await new Promise<object>((resolve, reject) => {
      const done = (err: ServiceError | null, r?: object) => (err ? reject(err) : resolve(r!));
      if (o.action !== undefined) {
        const action = senderActionFromJSON(`SENDER_ACTION_${o.action.toUpperCase()}`);
        if (action === SenderAction.UNRECOGNIZED) throw new Error(`unknown --action ${o.action} (mark_seen, typing_on, typing_off)`);
        client.sendSenderAction(SendSenderActionRequest.fromPartial({ pageId: o.page, recipient, action }), new Metadata(), { deadline }, done);
      } else {
        const messagingType = messagingTypeFromJSON(`MESSAGING_TYPE_${o.messagingType.toUpperCase()}`);
        if (messagingType === MessagingType.UNRECOGNIZED) throw new Error(`unknown --messaging-type ${o.messagingType}`);
        client.sendMessage(
          SendMessageRequest.fromPartial({ pageId: o.page, recipient, message: { content: { $case: 'text', value: o.text ?? '' } }, messagingType }),
          new Metadata(),
          { deadline },
          done,
        );
      }
    });
    process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    return 0;
  } catch (err) {
    const e = err as ServiceError;
    if (typeof e.code !== 'number') throw err;
    const d = decodeStatusDetails(e.metadata);
    const out = {
      code: status[e.code],
      message: e.details,
      errorInfo: d.errorInfo,
      retryDelay: d.retryInfo?.retryDelay ? `${d.retryInfo.retryDelay.seconds}s` : undefined,
      graphError: d.graphError,
      fieldViolations: d.badRequest?.fieldViolations.map((v) => `${v.field}: ${v.description}`),
    };
    process.stderr.write(`${JSON.stringify(out, null, 2)}\n`);
    return 1;
  } finally {
    client.close();
  }
}
