/**
 * The bare RPC leg: a grpc-js server whose SendMessage has identity (de)serializers and answers
 * at once with pre-encoded response bytes, so it measures grpc-js and HTTP/2 alone (no
 * protobuf decoding or encoding, no service code). The noop server (noop-server.ts) is the
 * other definition of the RPC leg: the same service with the generated codecs.
 * Prints {"ready":true,"port":N}.
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { SendMessageResponse } from '../../gen/messenger/v1/service';

const identity = (b: Buffer) => b;
const definition: ServiceDefinition = {
  SendMessage: {
    path: '/messenger.v1.MessengerService/SendMessage',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'sendMessage',
  },
};
// The same answer the gateway and the noop server give (the bench checks every answer's size).
const ANSWER = Buffer.from(SendMessageResponse.encode({ recipientId: '1254477777772919', messageId: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P' }).finish());

const server = new Server();
server.addService(definition, {
  SendMessage(_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
    callback(null, ANSWER);
  },
});
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
});
process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
