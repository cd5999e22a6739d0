import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

/** A forward proxy that tunnels CONNECT requests, counting where they went (for proxy tests). */
export interface ConnectProxy {
  url: string;
  /** "host:port" of every tunnel opened, in order. */
  tunnels: string[];
  stop(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(405).end("this proxy only tunnels (CONNECT)");
  });
  server.on("connect", (req, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    tunnels.push(target);
    const idx = target.lastIndexOf(":");
    const host = target.slice(0, idx).replace(/^\[|\]$/g, "");
    const upstream = connect(Number(target.slice(idx + 1)), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise(r => server.close(r));
    },
  };
}
