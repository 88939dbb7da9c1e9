// A transparent proxy that adds the bearer token, for clients that cannot send one (the MCP
// conformance suite has no option for a static token). Everything else passes unchanged, Host and
// Origin included, so the server's DNS-rebinding checks still see what the client sent; only an
// Origin or Host naming the proxy itself is translated to the server's, as if the client had
// talked to the server directly. Run by McpHttpIT.
//
// Environment: PYRO_MCP_URL (the server's endpoint), PYRO_MCP_TOKEN. Prints {"url": ...} (the
// proxy's endpoint) on stdout once it listens; runs until killed.
import http from "node:http";
import { need } from "./checks.mjs";

const target = new URL(need("PYRO_MCP_URL"));
const token = need("PYRO_MCP_TOKEN");

const server = http.createServer((req, res) => {
  const own = server.address().port;
  const headers = { ...req.headers, authorization: `Bearer ${token}` };
  for (const name of ["host", "origin"]) {
    const v = headers[name];
    if (v) headers[name] = v.replace(new RegExp(`^((?:https?://)?(?:localhost|127\\.0\\.0\\.1|\\[::1\\])):${own}$`),
      `$1:${target.port}`);
  }
  const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
    (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
  upstream.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502);
    res.end(String(e));
  });
  res.on("close", () => upstream.destroy()); // the client went away: so does its request (SSE streams)
  req.pipe(upstream);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}${target.pathname}` }) + "\n");
});
