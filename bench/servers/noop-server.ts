/**
 * The RPC leg's limit: a grpc-js server with the gateway's MessengerService (same generated
 * codecs) whose SendMessage answers at once. Prints {"ready":true,"port":N}.
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { MessengerServiceService, type SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';

const server = new Server();
server.addService(MessengerServiceService, {
  sendMessage(call: ServerUnaryCall<SendMessageRequest, SendMessageResponse>, callback: sendUnaryData<SendMessageResponse>) {
    const r = call.request.recipient?.identifier;
    callback(null, {
      recipientId: r?.$case === 'id' ? r.value : '',
      messageId: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P',
    });
  },
} as never);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
});
process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
