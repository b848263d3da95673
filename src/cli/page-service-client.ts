import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { PageServiceClient } from '../../gen/messenger/v1/page';

type Callback<Res> = (err: ServiceError | null, res?: Res) => void;
type UnaryMethod<Req, Res> = (req: Req, md: Metadata, opts: { deadline: number }, cb: Callback<Res>) => unknown;

/** PageService for the `profile` and `persona` commands: one promise per call, the API key in every call. */
export class PageCalls {
  private readonly client: PageServiceClient;

  constructor(
    readonly target: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs: number,
  ) {
    this.client = new PageServiceClient(target, credentials.createInsecure());
  }

  /** Calls one unary method (`this.client.createPersona`, ...) with the caller's key and the deadline. */
  call<Req, Res>(method: UnaryMethod<Req, Res>, req: Req): Promise<Res> {
    const md = new Metadata();
    if (this.apiKey) md.set('authorization', `Bearer ${this.apiKey}`);
    return new Promise((resolve, reject) => {
      method.call(this.client, req, md, { deadline: Date.now() + this.timeoutMs }, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  get methods(): PageServiceClient {
    return this.client;
  }

  close(): void {
    this.client.close();
  }
}
