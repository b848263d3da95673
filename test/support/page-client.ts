// PageService over a real grpc-js client, one promise per call.

import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import * as page from '../../gen/messenger/v1/page';
import { PageServiceClient, type DeepPartial } from '../../gen/messenger/v1/page';

type Unary<Req, Res> = (req: Req, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res?: Res) => void) => unknown;
type Method = keyof PageServiceClient & ('createPersona' | 'getPersona' | 'listPersonas' | 'deletePersona' | 'getMessengerProfile' | 'setMessengerProfile' | 'deleteMessengerProfile' | 'listMessageTemplates' | 'getMessageTemplate' | 'createMessageTemplate' | 'deleteMessageTemplate');
type ReqOf<M extends Method> = Parameters<PageServiceClient[M]>[0];
type ResOf<M extends Method> = PageServiceClient[M] extends (req: never, md: Metadata, opts: never, cb: (err: ServiceError | null, res: infer R) => void) => unknown ? R : never;

export interface PageCaller {
  call<M extends Method>(method: M, req: DeepPartial<ReqOf<M>>, md?: Metadata): Promise<ResOf<M>>;
  close(): void;
}

/** A PageService client of the gateway at `target`; `apiKey` authenticates it when set. */
export function pageClient(target: string, apiKey?: string): PageCaller {
  const client = new PageServiceClient(target, credentials.createInsecure());
  return {
    call: (method, req, md) =>
      new Promise((resolve, reject) => {
        const meta = md ?? new Metadata();
        if (apiKey) meta.set('authorization', `Bearer ${apiKey}`);
        const fn = client[method].bind(client) as unknown as Unary<unknown, never>;
        // Each request message is completed from the partial the test wrote.
        const type = (page as unknown as Record<string, { fromPartial(p: unknown): unknown }>)[`${method[0]!.toUpperCase()}${method.slice(1)}Request`]!;
        fn(type.fromPartial(req), meta, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res as never)));
      }),
    close: () => client.close(),
  };
}
